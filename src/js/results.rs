//! Every object the JS API returns, each defined once (see `shape`): the function that builds it from the
//! Rust value and the TypeScript declaration in the generated `.d.ts` come from the same lines. Methods name
//! these declarations in their `unchecked_return_type`; `tests/types/*.ts` type-check them as apps use them.

use super::shape::{js_object, js_type, js_union, Bool, Bytes, Code, Int, JsType, Role, Str, Uint};
use crate::backup::{ImportReport, Manifest, MergeReport, Scope};
use crate::catch_up::Processed;
use crate::chat::{Appended, Channel, HistoryFilter, Member, Message, MessagePage};
use crate::mls::{AddMembersOutput, GeneratedKeyPackage, Incoming, KeyPackageState};
use crate::sql::migrate::MigrationReport;
use wasm_bindgen::JsValue;

/// A JS array of `T`s.
pub(super) fn list<'a, T: JsType>(items: impl IntoIterator<Item = T::Value<'a>>) -> JsValue {
    items
        .into_iter()
        .map(T::to_js)
        .collect::<js_sys::Array>()
        .into()
}

js_type! {
    /// A backup's scope: `"full"` or `"history"` (the `BackupScope` type of the options, too).
    pub(super) ScopeJs = "BackupScope", for<'a> Scope, |value| JsValue::from_str(value.as_str())
}

#[wasm_bindgen::prelude::wasm_bindgen(typescript_custom_section)]
const BACKUP_SCOPE: &str = const_format::concatcp!(
    "export type BackupScope = \"",
    Scope::Full.as_str(),
    "\" | \"",
    Scope::History.as_str(),
    "\";\n"
);

js_type! {
    /// An archive format version.
    pub(super) FormatVersion = "1 | 2", for<'a> u16, |value| JsValue::from(value)
}

js_type! {
    /// A list of strings (a history filter's channels).
    pub(super) Strs = "string[]", for<'a> &'a [String],
        |value| value.iter().map(|item| JsValue::from_str(item)).collect::<js_sys::Array>().into()
}

js_object! {
    pub(super) ChannelJs as "Channel" for<'a> &'a Channel, |channel| {
        channelId: one Str = &channel.channel_id,
        name: one Bytes = &channel.name,
        groupId: nullable Bytes = channel.group_id.as_deref(),
        createdAtMs: one Int = channel.created_at_ms,
        archivedAtMs: nullable Int = channel.archived_at_ms,
        lastSeq: one Int = channel.last_seq,
        /// Messages not yet marked processed.
        unprocessed: one Int = channel.unprocessed,
    }
}

js_object! {
    pub(super) MessageJs as "Message" for<'a> &'a Message, |message| {
        channelId: one Str = &message.channel_id,
        seq: one Int = message.seq,
        messageId: one Str = &message.message_id,
        sender: one Bytes = &message.sender,
        body: one Bytes = &message.body,
        sentAtMs: one Int = message.sent_at_ms,
        storedAtMs: one Int = message.stored_at_ms,
        processed: one Bool = message.processed,
    }
}

js_object! {
    pub(super) AppendedJs as "Appended" for<'a> &'a Appended, |appended| {
        seq: one Int = appended.seq,
        messageId: one Str = &appended.message_id,
        /// The message (or the write with this idempotency key) was stored already: nothing was added.
        duplicate: one Bool = appended.duplicate,
    }
}

js_object! {
    pub(super) MessagePageJs as "MessagePage" for<'a> &'a MessagePage, |page| {
        messages: list MessageJs = &page.messages,
        hasMore: one Bool = page.has_more,
    }
}

js_object! {
    pub(super) MemberJs as "Member" for<'a> &'a Member, |member| {
        identity: one Bytes = &member.identity,
        role: one Role = &member.role,
        joinedAtMs: one Int = member.joined_at_ms,
        leftAtMs: nullable Int = member.left_at_ms,
    }
}

js_object! {
    pub(super) MigrationReportJs as "MigrationReport" for<'a> &'a MigrationReport, |report| {
        fromVersion: one Uint = report.from_version.into(),
        toVersion: one Uint = report.to_version.into(),
        applied: list Uint = report.applied.iter().map(|&version| u64::from(version)),
        reverted: list Uint = report.reverted.iter().map(|&version| u64::from(version)),
    }
}

js_object! {
    pub(super) MlsIdentityJs as "MlsIdentity" for<'a> (&'a [u8], &'a [u8]), |(identity, signature_public_key)| {
        identity: one Bytes = identity,
        signaturePublicKey: one Bytes = signature_public_key,
    }
}

js_object! {
    pub(super) MlsKeyPackageJs as "MlsKeyPackage" for<'a> &'a GeneratedKeyPackage, |generated| {
        keyPackage: one Bytes = &generated.key_package,
        hashRef: one Bytes = &generated.hash_ref,
    }
}

js_object! {
    pub(super) MlsKeyPackageCountsJs as "MlsKeyPackageCounts" for<'a> (u32, u32), |(available, used)| {
        available: one Uint = available.into(),
        used: one Uint = used.into(),
    }
}

js_object! {
    pub(super) MlsKeyPackageStateJs as "MlsKeyPackageState" for<'a> &'a KeyPackageState, |state| {
        used: one Bool = state.used,
        lastResort: one Bool = state.last_resort,
    }
}

js_object! {
    pub(super) MlsAddMembersResultJs as "MlsAddMembersResult" for<'a> &'a AddMembersOutput, |output| {
        commit: one Bytes = &output.commit,
        welcome: one Bytes = &output.welcome,
    }
}

js_union! {
    /// What processing one incoming MLS message gave.
    pub(super) MlsIncomingJs as "MlsIncoming", tag "kind", for<'a> &'a Incoming, |incoming| {
        Incoming::Application { plaintext, sender } => "application" {
            plaintext: one Bytes = plaintext,
            sender: one Bytes = sender,
        },
        Incoming::Commit { epoch, still_member } => "commit" {
            epoch: one Uint = *epoch,
            stillMember: one Bool = *still_member,
        },
        Incoming::Proposal => "proposal" {},
        Incoming::Own => "own" {},
    }
}

js_union! {
    /// What became of one message of a catch-up call. "application": decrypted and stored in the channel
    /// at seq; "duplicate": a message with this id is stored there already, so it was not processed again;
    /// "rejected": the protocol (or a chat limit) refused it, nothing of it was stored, and the other
    /// messages still applied.
    pub(super) ProcessedMessageJs as "ProcessedMessage", tag "kind", for<'a> &'a Processed, |processed| {
        Processed::Application { seq, message_id, sender, plaintext } => "application" {
            seq: one Int = *seq,
            messageId: one Str = message_id,
            sender: one Bytes = sender,
            plaintext: one Bytes = plaintext,
        },
        Processed::Duplicate { seq, message_id } => "duplicate" {
            seq: one Int = *seq,
            messageId: one Str = message_id,
        },
        Processed::Commit { epoch, still_member } => "commit" {
            epoch: one Uint = *epoch,
            stillMember: one Bool = *still_member,
        },
        Processed::Proposal => "proposal" {},
        Processed::Own => "own" {},
        Processed::Rejected { code, reason } => "rejected" {
            code: one Code = *code,
            reason: one Str = reason,
        },
    }
}

js_object! {
    pub(super) HistoryFilterJs as "HistoryFilter" for<'a> &'a HistoryFilter, |filter| {
        channels: nullable Strs = filter.channels.as_deref(),
        sinceMs: nullable Int = filter.since_ms,
        untilMs: nullable Int = filter.until_ms,
    }
}

/// A backup's manifest and what reading it found out: the schema it came from, its verified signer, its
/// archive format version.
pub(super) type ManifestFacts<'a> = (&'a Manifest, u32, Option<&'a [u8; 32]>, u16);

js_object! {
    pub(super) BackupManifestJs as "BackupManifest"
        for<'a> ManifestFacts<'a>, |(manifest, from_schema_version, signer, format_version)|
    {
        schemaVersion: one Uint = manifest.schema_version.into(),
        fromSchemaVersion: one Uint = from_schema_version.into(),
        createdAtMs: one Int = manifest.created_at_ms,
        storeName: one Str = &manifest.store_name,
        databaseBytes: one Uint = manifest.database_bytes,
        channels: one Int = manifest.channels,
        messages: one Int = manifest.messages,
        mlsGroups: one Int = manifest.mls_groups,
        signer: nullable Bytes = signer.map(|key| &key[..]),
        /// 1: the signature covers only the directory; 2: every byte (see docs/archive-format.md).
        formatVersion: one FormatVersion = format_version,
        /// 'full': everything, MLS state included (importing replaces the store); 'history': chat and
        /// key-value only (importing merges). Backups from before scopes existed are 'full'.
        scope: one ScopeJs = manifest.scope,
        /// The filter a history backup was made with; null for a full backup.
        filter: nullable HistoryFilterJs = manifest.filter.as_ref(),
    }
}

js_object! {
    /// What importing a history backup added; the store's own rows are never changed.
    pub(super) MergedHistoryJs as "MergedHistory" for<'a> &'a MergeReport, |merged| {
        channelsAdded: one Uint = merged.chat.channels_added,
        messagesAdded: one Uint = merged.chat.messages_added,
        /// Messages whose id the store had already: left as they were.
        messagesPresent: one Uint = merged.chat.messages_present,
        /// Added messages appended after their channel's newest because the store's channel had reached
        /// their seq.
        messagesRenumbered: one Uint = merged.chat.messages_renumbered,
        membersAdded: one Uint = merged.chat.members_added,
        membersSkipped: one Uint = merged.chat.members_skipped,
        kvEntriesAdded: one Uint = merged.kv_entries_added,
    }
}

js_object! {
    pub(super) ImportedBackupJs as "ImportedBackup" for<'a> &'a ImportReport, |report|
        extends BackupManifestJs = (
            &report.manifest,
            report.from_schema_version,
            report.signer.as_ref(),
            report.format_version,
        ),
    {
        /// What a history backup's merge added; null for a full backup (which replaced the store).
        merged: nullable MergedHistoryJs = report.merged.as_ref(),
    }
}
