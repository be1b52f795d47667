//! Catch-up: processing the MLS messages queued while the app was away and storing their plaintexts as chat
//! messages, many at once. One call is one SQL transaction (one durable flush), where processing them one
//! by one costs two transactions per message (the MLS state, then the chat message).
//!
//! Each message runs in a savepoint of that transaction. A message the protocol refuses (undecodable, for
//! an epoch the group has left, a forged commit) is rolled back to its savepoint, reported in its result,
//! and the batch goes on: its group is reloaded from the savepoint's state, so what came before it stands.
//! Anything that means the store itself failed (SQL, I/O, full storage, stored MLS state that does not
//! decode) aborts the whole call: nothing of it is written and no loaded group keeps its changes.
//!
//! This is where the MLS client and the chat layer meet; neither of them knows the other.

use std::collections::HashMap;

use openmls::group::MlsGroup;

use crate::chat::{self, ChatError, NewMessage, MAX_ID_LEN};
use crate::error_code::ErrorCode;
use crate::mls::{self, Incoming, MlsClient, MlsError, MlsProvider};
use crate::sql::Transaction;

/// Most messages one call processes: one transaction holds them all, and the results are kept in memory
/// until it commits.
pub const MAX_CATCH_UP_MESSAGES: usize = 10_000;

/// One message from the delivery service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingMessage {
    /// TLS-encoded `MlsMessage`.
    pub message: Vec<u8>,
    /// The delivery service's id for it. Without one the store derives an id from the message's bytes, so a
    /// message delivered twice is recognised either way.
    pub message_id: Option<String>,
    /// When it was sent; the time of processing when absent.
    pub sent_at_ms: Option<i64>,
}

/// The queued messages of one group, and the channel its plaintexts are stored in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbox {
    pub group_id: Vec<u8>,
    pub channel_id: String,
    pub messages: Vec<IncomingMessage>,
}

/// What became of one incoming message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Processed {
    /// An application message, decrypted and stored in the inbox's channel at `seq`.
    Application {
        seq: i64,
        message_id: String,
        sender: Vec<u8>,
        plaintext: Vec<u8>,
    },
    /// A message with this id is stored in the channel already: it was not processed again.
    Duplicate { seq: i64, message_id: String },
    /// A commit, merged: the group is at `epoch` now. `still_member` is false when it removed us.
    Commit { epoch: u64, still_member: bool },
    /// A proposal, queued until a commit covers it.
    Proposal,
    /// A message this client sent, echoed back by the delivery service.
    Own,
    /// Refused; nothing of it was stored. `code` is the error code a single call would reject with.
    Rejected { code: ErrorCode, reason: String },
}

/// Why a whole catch-up call failed; nothing of it was written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CatchUpError {
    #[error(transparent)]
    Mls(#[from] MlsError),
    #[error(transparent)]
    Chat(#[from] ChatError),
}

impl From<crate::sql::SqlError> for CatchUpError {
    fn from(error: crate::sql::SqlError) -> Self {
        CatchUpError::Mls(error.into())
    }
}

impl CatchUpError {
    /// The stable code of this failure.
    pub fn code(&self) -> ErrorCode {
        match self {
            CatchUpError::Mls(source) => source.code(),
            CatchUpError::Chat(source) => source.code(),
        }
    }
}

/// How one message ended, inside the batch.
enum Step {
    Done(Processed),
    /// Refused by the protocol or by the chat layer's limits: undo this message, go on.
    Undo(Processed),
}

/// The catch-up API of one store.
pub struct CatchUp<'s> {
    mls: MlsClient<'s>,
    now_ms: i64,
}

/// The id a message without one is stored under: derived from its bytes, so a redelivery matches.
fn derived_message_id(message: &[u8]) -> String {
    let digest = blake3::hash(message);
    format!("mls-{}", crate::hex::hex(&digest.as_bytes()[..16]))
}

fn rejected(code: ErrorCode, reason: impl std::fmt::Display) -> Processed {
    Processed::Rejected {
        code,
        reason: reason.to_string(),
    }
}

fn check_inboxes(inboxes: &[Inbox]) -> Result<(), ChatError> {
    let total: usize = inboxes.iter().map(|inbox| inbox.messages.len()).sum();
    if total > MAX_CATCH_UP_MESSAGES {
        return Err(ChatError::InvalidArgument(
            "at most 10000 messages per catch-up call",
        ));
    }
    let bad_id = inboxes
        .iter()
        .flat_map(|inbox| &inbox.messages)
        .filter_map(|message| message.message_id.as_ref())
        .any(|id| id.is_empty() || id.len() > MAX_ID_LEN);
    if bad_id {
        return Err(ChatError::InvalidArgument("message ids are 1 to 256 bytes"));
    }
    Ok(())
}

impl<'s> CatchUp<'s> {
    /// The catch-up API over the store's MLS client; `now_ms` stamps what it stores.
    pub fn new(mls: MlsClient<'s>, now_ms: i64) -> Self {
        CatchUp { mls, now_ms }
    }

    /// Processes every inbox's messages in order (a commit applies to the messages after it) and stores the
    /// application messages' plaintexts in the inbox's channel, in one transaction. Returns one result per
    /// message, per inbox.
    ///
    /// # Errors
    /// The whole call fails, and nothing is written, when an inbox's channel does not exist or belongs to
    /// another group, a message id is invalid, there are more than [`MAX_CATCH_UP_MESSAGES`] messages, or
    /// the store fails (SQL, I/O, full storage, stored state that does not decode). A message the protocol
    /// refuses, a group that is not in the store, or a plaintext over the chat layer's limits is a
    /// [`Processed::Rejected`] result instead.
    pub fn process(&self, inboxes: &[Inbox]) -> Result<Vec<Vec<Processed>>, CatchUpError> {
        check_inboxes(inboxes)?;
        let tx = self.mls.conn().transaction()?;
        for inbox in inboxes {
            chat::check_channel_of_group(&tx, &inbox.channel_id, &inbox.group_id)?;
        }
        let provider = self.mls.provider_on(&tx);
        let mut loaded: HashMap<Vec<u8>, MlsGroup> = HashMap::new();
        let results = inboxes
            .iter()
            .map(|inbox| {
                inbox
                    .messages
                    .iter()
                    .map(|message| self.process_one(&tx, &provider, &mut loaded, inbox, message))
                    .collect::<Result<Vec<_>, _>>()
            })
            .collect::<Result<Vec<_>, _>>()?;
        tx.commit()?;
        for (group_id, group) in loaded {
            self.mls.groups().put(group_id, group);
        }
        Ok(results)
    }

    fn process_one(
        &self,
        tx: &Transaction<'_>,
        provider: &MlsProvider<'_>,
        loaded: &mut HashMap<Vec<u8>, MlsGroup>,
        inbox: &Inbox,
        incoming: &IncomingMessage,
    ) -> Result<Processed, CatchUpError> {
        let message_id = match &incoming.message_id {
            Some(id) => id.clone(),
            None => derived_message_id(&incoming.message),
        };
        match chat::stored_location(tx, &message_id)? {
            Some((channel_id, seq)) if channel_id == inbox.channel_id => {
                return Ok(Processed::Duplicate { seq, message_id })
            }
            Some((channel_id, _)) => {
                let error = ChatError::MessageIdInOtherChannel {
                    message_id,
                    channel_id,
                };
                return Ok(rejected(error.code(), error));
            }
            None => {}
        }
        let protocol = match mls::parse_protocol_message(&incoming.message) {
            Ok(protocol) => protocol,
            Err(error) => return Ok(rejected(error.code(), error)),
        };
        let group = match loaded.entry(inbox.group_id.clone()) {
            std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::hash_map::Entry::Vacant(entry) => {
                let group = match self.mls.groups().take(&inbox.group_id) {
                    Some(group) => group,
                    None => match MlsClient::load_group(provider, &inbox.group_id) {
                        Ok(group) => group,
                        Err(error @ MlsError::GroupNotFound(_)) => {
                            return Ok(rejected(error.code(), error))
                        }
                        Err(error) => return Err(error.into()),
                    },
                };
                entry.insert(group)
            }
        };
        let savepoint = tx.savepoint()?;
        let step = match mls::process_in(provider, group, protocol) {
            Ok(Incoming::Application { plaintext, sender }) => {
                let message = NewMessage {
                    message_id: Some(message_id),
                    sender,
                    body: plaintext,
                    sent_at_ms: incoming.sent_at_ms.unwrap_or(self.now_ms),
                };
                self.store_plaintext(tx, &inbox.channel_id, message)?
            }
            Ok(Incoming::Commit {
                epoch,
                still_member,
            }) => Step::Done(Processed::Commit {
                epoch,
                still_member,
            }),
            Ok(Incoming::Proposal) => Step::Done(Processed::Proposal),
            Ok(Incoming::Own) => Step::Done(Processed::Own),
            Err(error @ MlsError::Storage(_)) => return Err(error.into()),
            Err(error) => Step::Undo(rejected(error.code(), error)),
        };
        match step {
            Step::Done(processed) => {
                savepoint.release()?;
                Ok(processed)
            }
            Step::Undo(processed) => {
                savepoint.rollback()?;
                // OpenMLS may have changed the group in memory before refusing: the next message of this
                // group loads it again, as the savepoint left it.
                loaded.remove(&inbox.group_id);
                Ok(processed)
            }
        }
    }

    fn store_plaintext(
        &self,
        tx: &Transaction<'_>,
        channel_id: &str,
        message: NewMessage,
    ) -> Result<Step, CatchUpError> {
        match chat::append_with_id_in(tx, channel_id, &message, self.now_ms) {
            Ok(appended) => Ok(Step::Done(Processed::Application {
                seq: appended.seq,
                message_id: appended.message_id,
                sender: message.sender,
                plaintext: message.body,
            })),
            Err(error @ ChatError::InvalidArgument(_)) => {
                Ok(Step::Undo(rejected(error.code(), error)))
            }
            Err(error) => Err(error.into()),
        }
    }
}
