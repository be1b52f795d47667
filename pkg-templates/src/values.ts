// Values crossing the Worker's boundaries: errors as plain objects with a stable code, the buffers of a
// result to transfer, and callback and signal markers turned back into functions and signals.
import { ERROR_CODES, type ErrorCode } from './manifest.js';
import type { SerializedError } from './protocol.js';

const KNOWN_CODES: ReadonlySet<string> = new Set(ERROR_CODES);

export const errorOf = (code: ErrorCode, message: string): SerializedError => ({ name: 'MlsWebStoreError', code, message });

/** Any thrown value as a SerializedError; a code this package does not know becomes UNEXPECTED. */
export function serializeError(error: unknown): SerializedError {
  const fields = error && typeof error === 'object' ? error as { code?: unknown; message?: unknown } : undefined;
  if (typeof fields?.code === 'string' && KNOWN_CODES.has(fields.code)) {
    return errorOf(fields.code as ErrorCode, String(fields.message));
  }
  return errorOf('UNEXPECTED', String(fields?.message ?? error));
}

/** The code of a thrown value, if it carries one. */
export const codeOf = (error: unknown): string | undefined =>
  error && typeof error === 'object' && typeof (error as { code?: unknown }).code === 'string'
    ? (error as { code: string }).code
    : undefined;

/** ArrayBuffers of the Uint8Arrays in a result: they move to the client instead of being copied. */
export function transferables(value: unknown, out: ArrayBuffer[] = [], depth = 0): ArrayBuffer[] {
  if (value instanceof Uint8Array) {
    const buffer = value.buffer;
    if (buffer instanceof ArrayBuffer && !out.includes(buffer)) out.push(buffer);
  } else if (Array.isArray(value) && depth < 4) {
    for (const item of value) transferables(item, out, depth + 1);
  } else if (value && typeof value === 'object' && !isBlob(value) && depth < 4) {
    for (const item of Object.values(value)) transferables(item, out, depth + 1);
  }
  return out;
}

const isBlob = (value: unknown): boolean => typeof Blob === 'function' && value instanceof Blob;

/** A progress callback (`onProgress`, `onChunk`) in a call's options, replaced for the trip to the Worker. */
export interface CallbackMarker { __mlsWebStoreCallback: number }
/** An AbortSignal in a call's options, replaced for the trip; the client sends an `abort` message instead. */
export interface SignalMarker { __mlsWebStoreSignal: true }

/** Reports callback `index`'s arguments back to the caller. */
export type Emit = (index: number, args: unknown[]) => void;

/** Callback markers in arguments become functions that report through `emit`; a signal marker becomes
 * `signal`, which the Worker aborts when the client's AbortSignal fires. */
export function reviveCallbacks(args: unknown[], emit: Emit, signal: AbortSignal): unknown[] {
  return args.map((arg) => {
    if (!arg || typeof arg !== 'object' || arg instanceof Uint8Array || isBlob(arg)) return arg;
    const copy: Record<string, unknown> = Array.isArray(arg) ? [...arg] as unknown as Record<string, unknown> : { ...arg };
    for (const [field, value] of Object.entries(copy)) {
      if (value && typeof value === 'object' && typeof (value as CallbackMarker).__mlsWebStoreCallback === 'number') {
        const index = (value as CallbackMarker).__mlsWebStoreCallback;
        copy[field] = (...values: unknown[]) => emit(index, values);
      } else if (value && typeof value === 'object' && (value as SignalMarker).__mlsWebStoreSignal === true) {
        copy[field] = signal;
      }
    }
    return copy;
  });
}
