//! How a JS method of `Store` runs: its work, boxed, goes through one non-generic path that maps errors
//! (a full OPFS reported as `QUOTA_EXCEEDED`), waits until the store is durable, tells the change listener,
//! and settles the Promise. One path for all methods keeps that machinery in the wasm once.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::future_to_promise;

use super::changes::{Change, ChangeListener};
use super::JsStore;
use crate::store::{Store, StoreError};

/// A store operation's work, boxed: every method's future goes through one instance of what follows it.
enum Work {
    /// A read, or a write that names no changes.
    Plain(Pin<Box<dyn Future<Output = Result<JsValue, StoreError>>>>),
    Changing(Pin<Box<dyn Future<Output = ChangingResult>>>),
}

type ChangingResult = Result<(JsValue, Vec<Change>), StoreError>;

/// Runs `work` as a Promise that resolves once the store is durable, after telling `listener` the changes.
/// Not generic, so the wasm holds this machinery (error mapping, durability, the Promise) once, not once per
/// JS method.
fn run(started: Result<(Work, Rc<Store>), StoreError>, listener: Rc<ChangeListener>) -> Promise {
    future_to_promise(async move {
        let (work, store) = started?;
        let outcome = match work {
            Work::Plain(work) => work.await.map(|out| (out, Vec::new())),
            Work::Changing(work) => work.await,
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

impl JsStore {
    /// Runs a store operation that names its changes as a Promise: they go to the listener after the write
    /// is durable, before the Promise resolves. The store is taken when the method is called, so a call
    /// made before `close()` completes even if the Promise runs after it.
    pub(super) fn spawn_changing<F, Fut>(&self, f: F) -> Promise
    where
        F: FnOnce(Rc<Store>) -> Fut + 'static,
        Fut: Future<Output = Result<(JsValue, Vec<Change>), StoreError>> + 'static,
    {
        let started = self
            .current()
            .map(|store| (Work::Changing(Box::pin(f(store.clone()))), store));
        run(started, self.changes.clone())
    }

    /// As [`JsStore::spawn_changing`], for an operation that changes nothing others need to hear of.
    pub(super) fn spawn<F, Fut>(&self, f: F) -> Promise
    where
        F: FnOnce(Rc<Store>) -> Fut + 'static,
        Fut: Future<Output = Result<JsValue, StoreError>> + 'static,
    {
        let started = self
            .current()
            .map(|store| (Work::Plain(Box::pin(f(store.clone()))), store));
        run(started, self.changes.clone())
    }
}
