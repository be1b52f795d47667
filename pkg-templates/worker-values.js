// Values crossing the worker's boundaries: errors as plain objects with a stable code, the buffers of a
// result to transfer, and callback markers turned back into functions.

export const errorOf = (code, message) => ({ name: 'MlsWebStoreError', code, message });
export function serializeError(error) {
  if (error && typeof error === 'object' && typeof error.code === 'string') {
    return errorOf(error.code, String(error.message));
  }
  return errorOf('UNEXPECTED', String(error?.message ?? error));
}

// ArrayBuffers of Uint8Arrays in a result move to the client instead of being copied.
export function transferables(value, out = [], depth = 0) {
  if (value instanceof Uint8Array) {
    if (!out.includes(value.buffer)) out.push(value.buffer);
  } else if (Array.isArray(value) && depth < 4) {
    for (const item of value) transferables(item, out, depth + 1);
  } else if (value && typeof value === 'object' && !(value instanceof Blob) && depth < 4) {
    for (const item of Object.values(value)) transferables(item, out, depth + 1);
  }
  return out;
}

// Callback markers ({ __mlsWebStoreCallback: n }) in arguments become functions that report progress; a
// signal marker ({ __mlsWebStoreSignal: true }) becomes `signal`, which the worker aborts when the client's
// AbortSignal fires.
export function reviveCallbacks(args, emit, signal) {
  return args.map((arg) => {
    if (!arg || typeof arg !== 'object' || arg instanceof Uint8Array || arg instanceof Blob) return arg;
    const copy = Array.isArray(arg) ? [...arg] : { ...arg };
    for (const [field, value] of Object.entries(copy)) {
      if (value && typeof value === 'object' && typeof value.__mlsWebStoreCallback === 'number') {
        copy[field] = (...values) => emit(value.__mlsWebStoreCallback, values);
      } else if (value && typeof value === 'object' && value.__mlsWebStoreSignal === true) {
        copy[field] = signal;
      }
    }
    return copy;
  });
}
