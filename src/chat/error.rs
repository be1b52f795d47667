//! The chat layer's error.

use crate::sql::SqlError;

/// A chat failure. The failed call was rolled back.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChatError {
    #[error("no channel {0:?}")]
    ChannelNotFound(String),
    #[error("channel {0:?} exists already")]
    ChannelExists(String),
    /// The message id is stored already, in another channel.
    #[error("message id {message_id:?} is stored in channel {channel_id:?}")]
    MessageIdInOtherChannel {
        message_id: String,
        channel_id: String,
    },
    /// The idempotency key was used for a different request.
    #[error("idempotency key {0:?} was used for a different request")]
    IdempotencyKeyReused(String),
    #[error("invalid argument: {0}")]
    InvalidArgument(&'static str),
    /// A stored idempotent response does not decode.
    #[error("stored response for idempotency key {key:?} does not decode: {reason}")]
    CorruptResponse { key: String, reason: String },
    #[error(transparent)]
    Sql(#[from] SqlError),
}
