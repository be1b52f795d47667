//! Chat persistence: channels, their messages and members, and idempotent writes. Each method is one SQL
//! transaction. Message sequences are assigned by the store, per channel, strictly increasing.
//!
//! Privacy at rest comes from the store's database encryption (see `Store::open_with_key`); on top of it,
//! member identities are keyed by an HMAC under a per-store secret, so the member table's key reveals
//! nothing even to code that reads raw rows.

mod channel_rows;
mod channels;
mod error;
mod history;
mod idempotency;
mod members;
mod messages;

pub(crate) use channel_rows::check_channel_of_group;
pub use channel_rows::Channel;
pub use channels::NewChannel;
pub use error::ChatError;
pub(crate) use history::{keep_only_history, merge_history};
pub use history::{HistoryFilter, MergedHistory};
pub use idempotency::Idempotency;
pub use members::{Member, MemberRole};
pub(crate) use messages::{append_with_id_in, stored_location};
pub use messages::{Appended, Message, MessagePage, NewMessage, PageCursor};

use crate::sql::Connection;

/// Longest channel or message id accepted.
pub const MAX_ID_LEN: usize = 256;
/// Largest message body accepted (bigger payloads belong in attachments outside the store).
pub const MAX_BODY_LEN: usize = 1 << 20;
/// Most messages one page returns.
pub const MAX_PAGE: u32 = 1000;

/// Where the chat layer takes random bytes from (message ids, the member-hash secret): the store passes the
/// platform's (`getrandom`, the browser's `crypto.getRandomValues`).
pub type FillRandom = fn(&mut [u8]) -> Result<(), getrandom_02::Error>;

/// The chat API over one database.
pub struct Chat<'s> {
    conn: &'s Connection,
    fill_random: FillRandom,
}

fn check_id(id: &str, what: &'static str) -> Result<(), ChatError> {
    if id.is_empty() || id.len() > MAX_ID_LEN {
        return Err(ChatError::InvalidArgument(what));
    }
    Ok(())
}

impl<'s> Chat<'s> {
    /// The chat API over any connection with the chat schema: a store's, or a backup opened for browsing.
    pub fn new(conn: &'s Connection, fill_random: FillRandom) -> Self {
        Chat { conn, fill_random }
    }
}
