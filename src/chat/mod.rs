//! Chat persistence: channels, their messages and members, and idempotent writes. Each method is one SQL
//! transaction. Message sequences are assigned by the store, per channel, strictly increasing.
//!
//! Privacy at rest comes from the store's database encryption (see `Store::open_with_key`); on top of it,
//! member identities are keyed by an HMAC under a per-store secret, so the member table's key reveals
//! nothing even to code that reads raw rows.

mod channels;
mod error;
mod idempotency;
mod members;
mod messages;

pub use channels::{Channel, NewChannel};
pub use error::ChatError;
pub use idempotency::Idempotency;
pub use members::{Member, MemberRole};
pub use messages::{Appended, Message, MessagePage, NewMessage, PageCursor};

use crate::sql::Connection;
use crate::store::Store;

/// Longest channel or message id accepted.
pub const MAX_ID_LEN: usize = 256;
/// Largest message body accepted (bigger payloads belong in attachments outside the store).
pub const MAX_BODY_LEN: usize = 1 << 20;
/// Most messages one page returns.
pub const MAX_PAGE: u32 = 1000;

/// The chat API of one store.
pub struct Chat<'s> {
    conn: &'s Connection,
}

impl Store {
    /// The chat API on this store.
    pub fn chat(&self) -> Chat<'_> {
        Chat {
            conn: self.connection(),
        }
    }
}

fn check_id(id: &str, what: &'static str) -> Result<(), ChatError> {
    if id.is_empty() || id.len() > MAX_ID_LEN {
        return Err(ChatError::InvalidArgument(what));
    }
    Ok(())
}

impl<'s> Chat<'s> {
    /// The chat API over any connection with the chat schema (a backup opened for browsing, for one).
    pub(crate) fn on(conn: &'s Connection) -> Self {
        Chat { conn }
    }
}
