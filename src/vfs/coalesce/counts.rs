//! Test hooks: how many writes and reads SQLite made to this layer, and how many reached the pool.
//! Without the `test-hooks` feature the counting compiles to nothing.

#[cfg(feature = "test-hooks")]
thread_local! {
    /// WAL writes SQLite made to this layer, and writes this layer made to the pool's WAL files.
    static WAL_WRITES: std::cell::Cell<(u64, u64)> = const { std::cell::Cell::new((0, 0)) };
    /// Reads SQLite made of scratch files, and reads of them that reached the pool.
    static SCRATCH_READS: std::cell::Cell<(i64, i64)> = const { std::cell::Cell::new((0, 0)) };
    /// Reads SQLite made of stores' own database and WAL files, and reads of them that reached the pool.
    static STORE_READS: std::cell::Cell<(i64, i64)> = const { std::cell::Cell::new((0, 0)) };
}

/// Test hook: (WAL writes SQLite made, WAL writes passed on to the OPFS pool) in this context so far.
#[cfg(feature = "test-hooks")]
pub fn wal_write_counts_for_tests() -> (u64, u64) {
    WAL_WRITES.with(std::cell::Cell::get)
}

/// Test hook: (reads SQLite made of scratch files, reads of them that reached the OPFS pool) in this
/// context so far.
#[cfg(feature = "test-hooks")]
pub fn scratch_read_counts_for_tests() -> (i64, i64) {
    SCRATCH_READS.with(std::cell::Cell::get)
}

pub(super) fn count_wal_write(_made: u64, _passed_on: u64) {
    #[cfg(feature = "test-hooks")]
    WAL_WRITES.with(|counts| {
        let (made, passed_on) = counts.get();
        counts.set((made + _made, passed_on + _passed_on));
    });
}

/// Test hook: (reads SQLite made of stores' own database and WAL files, reads of them that reached the
/// OPFS pool) in this context so far.
#[cfg(feature = "test-hooks")]
pub fn store_read_counts_for_tests() -> (i64, i64) {
    STORE_READS.with(std::cell::Cell::get)
}

/// Counts a read of a file that reads ahead: a scratch file, or a store's own database or WAL.
pub(super) fn count_read(_scratch: bool, _made: i64, _passed_on: i64) {
    #[cfg(feature = "test-hooks")]
    if _scratch {
        &SCRATCH_READS
    } else {
        &STORE_READS
    }
    .with(|counts| {
        let (made, passed_on) = counts.get();
        counts.set((made + _made, passed_on + _passed_on));
    });
}
