//! The chat layer's error.

use crate::error_code::ErrorCode;
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
    /// The browser gave no random bytes (for a message id or the member-hash secret).
    #[error("the browser gave no random bytes: {0}")]
    RandomUnavailable(#[source] getrandom_02::Error),
    #[error(transparent)]
    Sql(#[from] SqlError),
}

impl ChatError {
    /// The stable code of this failure.
    pub fn code(&self) -> ErrorCode {
        match self {
            ChatError::ChannelNotFound(_) => ErrorCode::ChannelNotFound,
            ChatError::ChannelExists(_) => ErrorCode::ChannelExists,
            ChatError::MessageIdInOtherChannel { .. } => ErrorCode::MessageIdInOtherChannel,
            ChatError::IdempotencyKeyReused(_) => ErrorCode::IdempotencyKeyReused,
            ChatError::InvalidArgument(_) => ErrorCode::InvalidArgument,
            ChatError::RandomUnavailable(_) => ErrorCode::RandomUnavailable,
            ChatError::CorruptResponse { .. } => ErrorCode::DatabaseCorrupt,
            ChatError::Sql(source) => source.code(),
        }
    }
}
