//! How a JS method of `Store` runs: its work, boxed, goes through one non-generic path that runs it so it
//! sees every page it reads (a paged IndexedDB store loads pages on demand and runs the work again,
//! `Store::run`), maps errors (a full OPFS reported as `QUOTA_EXCEEDED`), waits until the store is
//! durable, tells the change listener, and settles the Promise. One path for all methods keeps that
//! machinery in the wasm once.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::future_to_promise;

use super::changes::{Change, ChangeListener};
use super::JsStore;
use crate::store::{Store, StoreError};

type ChangingResult = Result<(JsValue, Vec<Change>), StoreError>;

/// A store operation's work, boxed: every method's work goes through one instance of what follows it.
enum Work {
    /// Synchronous work on the store: it may run more than once (see `Store::run`), so it is `Fn`.
    Sync(Box<dyn Fn(&Store) -> ChangingResult>),
    /// Work that awaits between its steps (a backup import; compact, rekey and the integrity check, which
    /// load the whole database first): it loads what it reads itself.
    Async(Pin<Box<dyn Future<Output = ChangingResult>>>),
}

/// Runs `work` as a Promise that resolves once the store is durable, after telling `listener` the changes.
/// Not generic, so the wasm holds this machinery (error mapping, durability, the Promise) once, not once per
/// JS method.
fn run(started: Result<(Work, Rc<Store>), StoreError>, listener: Rc<ChangeListener>) -> Promise {
    future_to_promise(async move {
        let (work, store) = started?;
        let outcome = match work {
            Work::Sync(work) => store.run(|store| work(store)).await.and_then(|done| done),
            Work::Async(work) => work.await,
        };
        let (out, changes) = match outcome {
            Ok(done) => done,
            Err(error) => return Err(store.recognize_error(error).await.into()),
        };
        // Resolve only once the operation is durable (IndexedDB: its pages are committed there).
        store.sync().await?;
        listener.tell(&changes);
        Ok(out)
    })
}

/// A method whose arguments were refused before it started: its Promise rejects with the error.
pub(super) fn reject(error: StoreError) -> Promise {
    Promise::reject(&error.into())
}

impl JsStore {
    /// Runs a store operation that names its changes as a Promise: they go to the listener after the write
    /// is durable, before the Promise resolves. The store is taken when the method is called, so a call
    /// made before `close()` completes even if the Promise runs after it. `f` may run more than once.
    pub(super) fn spawn_changing<F>(&self, f: F) -> Promise
    where
        F: Fn(&Store) -> ChangingResult + 'static,
    {
        let started = self.current().map(|store| (Work::Sync(Box::new(f)), store));
        run(started, self.changes.clone())
    }

    /// As [`JsStore::spawn_changing`], for an operation that changes nothing others need to hear of.
    pub(super) fn spawn<F>(&self, f: F) -> Promise
    where
        F: Fn(&Store) -> Result<JsValue, StoreError> + 'static,
    {
        self.spawn_changing(move |store| f(store).map(|out| (out, Vec::new())))
    }

    /// As [`JsStore::spawn_changing`], for work that awaits between its steps; it runs once.
    pub(super) fn spawn_async<F, Fut>(&self, f: F) -> Promise
    where
        F: FnOnce(Rc<Store>) -> Fut + 'static,
        Fut: Future<Output = ChangingResult> + 'static,
    {
        let started = self
            .current()
            .map(|store| (Work::Async(Box::pin(f(store.clone()))), store));
        run(started, self.changes.clone())
    }
}
