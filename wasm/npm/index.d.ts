// Type declarations of the weft npm package, written by hand: every entry point
// ("weft", "weft/web", "weft/slim") exports this same API.

/** JSON as `toJSON()` returns it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A value a container stores. Numbers that are safe integers are kept as integers. */
export type Scalar = null | boolean | number | string | Uint8Array;

/** Any container of a document. */
export type Container = Text | Map | List | MovableList | Counter;

/** A container kind, for creating a container inside a map or a list. */
export type ContainerKind = "text" | "map" | "list" | "movableList" | "counter";

/** What reading a map key or a list element returns. */
export type Value = Scalar | Container;

/** Where a transaction came from: any value; a string also scopes undo managers. */
export type Origin = unknown;

/** Quill-style change of a text, in UTF-16 code units. */
export type TextDelta = Array<{ retain: number } | { insert: string } | { delete: number }>;

/** Change of a list, in elements. */
export type ListDelta = Array<{ retain: number } | { insert: Value[] } | { delete: number }>;

interface EventBase<T> {
  /** The container that changed. */
  target: T;
  /** The transaction's origin (for an import: the origin given to `import`). */
  origin: Origin;
  /** Whether this replica made the change (false for imports). */
  local: boolean;
}

export interface TextEvent extends EventBase<Text> { kind: "text"; delta: TextDelta; }
export interface ListEvent extends EventBase<List | MovableList> { kind: "list"; delta: ListDelta; }
/** The keys that changed, with their new values (`undefined`: deleted). */
export interface MapEvent extends EventBase<Map> { kind: "map"; keys: globalThis.Map<string, Value | undefined>; }
export interface CounterEvent extends EventBase<Counter> { kind: "counter"; increment: number; }
export type ContainerEvent = TextEvent | ListEvent | MapEvent | CounterEvent;

/** Unsubscribes a listener. */
export type Unsubscribe = () => void;

export interface DocOptions {
  /** The replica id to edit as; random (53 bits) when not given. Never share one between live replicas. */
  peerId?: bigint | number;
}

export type ExportOptions =
  /** The changes a document at `from` (a `version()`) lacks; everything without `from`. */
  | { mode: "update"; from?: Uint8Array }
  /** The whole document with its history. */
  | { mode: "snapshot" }
  /** The current state only, without the history: smaller, but peers that are behind it get the snapshot, not their missing changes. */
  | { mode: "shallow-snapshot" };

export interface DocEvents {
  /** After each local transaction and import: the update bytes to send to peers. */
  update: (update: Uint8Array, origin: Origin, local: boolean) => void;
  /** After each transaction or import: every container event it caused, in order. */
  change: (events: ContainerEvent[], origin: Origin, local: boolean) => void;
}

/** A replica of a document: named root containers, synced as one. */
export class Doc {
  constructor(options?: DocOptions);
  /** The replica this document edits as. */
  readonly peerId: bigint;
  getText(name: string): Text;
  getMap(name: string): Map;
  getList(name: string): List;
  getMovableList(name: string): MovableList;
  getCounter(name: string): Counter;
  /** Runs `fn`: its edits become one change and one event per container. Nested calls join the outer one. */
  transact<T>(fn: () => T, origin?: Origin): T;
  on<E extends keyof DocEvents>(event: E, listener: DocEvents[E]): Unsubscribe;
  off<E extends keyof DocEvents>(event: E, listener: DocEvents[E]): void;
  /** What this document holds, encoded: pass it to `export({ mode: "update", from })` on a peer. */
  version(): Uint8Array;
  /** The same version, readable: each replica's id and how many of its changes are here. */
  versionVector(): globalThis.Map<bigint, number>;
  export(options: ExportOptions): Uint8Array;
  /** Applies an update or snapshot from any replica, in any order; changes whose causes are missing wait for them. */
  import(bytes: Uint8Array, origin?: Origin): void;
  /** How many received changes wait for changes not seen yet. */
  readonly pendingCount: number;
  /** A cursor's current position, or undefined if its container is gone. */
  getCursorPosition(cursor: Cursor): number | undefined;
  /** A new document with the same contents, editing as `peerId` (random if not given). */
  fork(options?: DocOptions): Doc;
  /** Every root container as JSON. */
  toJSON(): { [name: string]: JsonValue };
  /** Releases the document's memory now instead of when it is garbage collected. */
  free(): void;
}

/** Text with UTF-16 positions, as JavaScript strings count them: an emoji is 2. */
export class Text {
  insert(index: number, text: string): void;
  delete(index: number, length: number): void;
  readonly length: number;
  toString(): string;
  toJSON(): string;
  /** A position that follows the text through local and remote edits: before the character at `index` (`side` -1 keeps it after the character before). */
  getCursor(index: number, side?: -1 | 1): Cursor;
  observe(listener: (event: TextEvent) => void): Unsubscribe;
  unobserve(listener: (event: TextEvent) => void): void;
}

/** String keys to values; concurrent writes to one key: the later one wins. */
export class Map {
  set(key: string, value: Scalar): void;
  /** Puts a new container at `key`; two replicas doing this concurrently share one container. */
  setContainer(key: string, kind: "text"): Text;
  setContainer(key: string, kind: "map"): Map;
  setContainer(key: string, kind: "list"): List;
  setContainer(key: string, kind: "movableList"): MovableList;
  setContainer(key: string, kind: "counter"): Counter;
  get(key: string): Value | undefined;
  has(key: string): boolean;
  delete(key: string): void;
  keys(): string[];
  readonly size: number;
  toJSON(): { [key: string]: JsonValue };
  observe(listener: (event: MapEvent) => void): Unsubscribe;
  unobserve(listener: (event: MapEvent) => void): void;
}

/** What both kinds of list offer. */
interface Sequence {
  insert(index: number, value: Scalar): void;
  insertContainer(index: number, kind: "text"): Text;
  insertContainer(index: number, kind: "map"): Map;
  insertContainer(index: number, kind: "list"): List;
  insertContainer(index: number, kind: "movableList"): MovableList;
  insertContainer(index: number, kind: "counter"): Counter;
  push(value: Scalar): void;
  delete(index: number, length?: number): void;
  get(index: number): Value | undefined;
  readonly length: number;
  toArray(): Value[];
  toJSON(): JsonValue[];
  observe(listener: (event: ListEvent) => void): Unsubscribe;
  unobserve(listener: (event: ListEvent) => void): void;
}

/** A sequence of values; concurrent inserts at one place never interleave. */
export interface List extends Sequence {}
export class List {}

/** A list whose elements can also be moved and replaced in place. */
export interface MovableList extends Sequence {}
export class MovableList {
  /** Moves the element at `from` so that it ends up at index `to`. */
  move(from: number, to: number): void;
  /** Replaces the element at `index`. */
  set(index: number, value: Scalar): void;
}

/** A number that replicas add to concurrently; no increment is lost. */
export class Counter {
  increment(amount?: number): void;
  decrement(amount?: number): void;
  readonly value: number;
  toJSON(): number;
  observe(listener: (event: CounterEvent) => void): Unsubscribe;
  unobserve(listener: (event: CounterEvent) => void): void;
}

/** A position in a text that moves with the text's edits, wherever they come from. */
export class Cursor {
  /** The cursor as bytes, to store or send to peers. */
  encode(): Uint8Array;
  static decode(bytes: Uint8Array): Cursor;
}

export interface UndoManagerOptions {
  /** Track only local transactions with this origin (default: every local transaction). */
  origin?: string;
  /** Transactions closer than this many milliseconds become one step (default 500; 0: never). */
  mergeInterval?: number;
}

/** Undo and redo of this replica's own edits; other replicas' edits stay. */
export class UndoManager {
  constructor(doc: Doc, options?: UndoManagerOptions);
  /** Undoes the last step; returns whether anything changed. */
  undo(): boolean;
  redo(): boolean;
  canUndo(): boolean;
  canRedo(): boolean;
  /** Makes the next transaction a step of its own. */
  stopCapturing(): void;
  /** Stops tracking the document. */
  destroy(): void;
}

export interface AwarenessChanges { added: bigint[]; updated: bigint[]; removed: bigint[]; }

/** Who is here and what they are doing (cursor, name, colour): state that is not part of the document. */
export class Awareness {
  constructor(doc: Doc);
  readonly clientId: bigint;
  getLocalState(): JsonValue | null;
  /** Sets this client's state; null says it left. */
  setLocalState(state: JsonValue | null): void;
  setLocalStateField(field: string, value: JsonValue): void;
  /** Every known client's state, this one included. */
  getStates(): globalThis.Map<bigint, JsonValue>;
  on(event: "change", listener: (changes: AwarenessChanges, origin: "local" | "remote") => void): Unsubscribe;
  off(event: "change", listener: (changes: AwarenessChanges, origin: "local" | "remote") => void): void;
  destroy(): void;
}

export type ConnectionStatus = "connecting" | "connected" | "disconnected";

export interface WebSocketProviderOptions {
  /** Connect at once (default true). */
  connect?: boolean;
  /** Sent as the `token` query parameter; a function is asked again on every connect. */
  token?: string | (() => string | Promise<string>);
  /** The awareness to share (default: a new one). */
  awareness?: Awareness;
  /** First reconnect delay in milliseconds (default 500); it doubles up to `maxBackoff`, with jitter. */
  minBackoff?: number;
  /** Longest reconnect delay in milliseconds (default 10000). */
  maxBackoff?: number;
  /** The WebSocket class (default: the global one). */
  WebSocket?: typeof WebSocket;
  /**
   * How many relays of a mesh must store a change durably before the relay
   * acknowledges it (1 to 16, default 1: the relay you are connected to).
   */
  durability?: number;
}

export interface WebSocketProviderEvents {
  status: (event: { status: ConnectionStatus }) => void;
  /** Every document has received everything the server had when it connected (true), or the connection dropped (false). */
  synced: (synced: boolean) => void;
  /** The server refused something or reported an error. */
  error: (error: Error) => void;
  /** The relay holds `version` of `room` durably, on at least `durability` relays. */
  acknowledged: (event: { room: string; version: globalThis.Map<bigint, number>; durability: number }) => void;
  /**
   * The relay refused a write to `room`, which a lock guards, because this provider
   * does not show the lock's latest token (its lease lapsed and someone else took
   * it). The refused changes stay in the local document and are never accepted:
   * reload the document from the relay before writing again.
   */
  fenced: (event: { room: string | null; message: string }) => void;
}

export type LockMode = "efficiency" | "correctness";

/** A lock's holder as the relay reports it. */
export interface LockHolder {
  name: string;
  /** Strictly greater than every earlier holder's token for this name. */
  token: number;
  holder: string;
  /** Unix milliseconds at which the lease lapses unless renewed. */
  expires: number;
}

export interface LockOptions {
  /** Lease length in milliseconds (1000 to 3600000, default 10000); renewed at a third of it while held. */
  ttl?: number;
  /**
   * `correctness` (the default): fenced, and across relays held in etcd; `efficiency`:
   * cheap, on the connected relay only, may be granted twice across a mesh.
   */
  mode?: LockMode;
  /** How other clients see the holder (default: a random id). */
  holder?: string;
  /** Wait while someone else holds it (default true); false rejects with code "held". */
  wait?: boolean;
  signal?: AbortSignal;
}

/** Why a lock request failed. */
export class LockError extends Error {
  readonly code: "held" | "lost" | "invalid" | "forbidden" | "unavailable" | "missed";
  /** Who holds the lock, when `code` is "held". */
  readonly holder: LockHolder | null;
}

/** A held lock, renewed until released or lost. */
export class Lease implements LockHolder {
  readonly name: string;
  readonly token: number;
  readonly holder: string;
  expires: number;
  readonly mode: LockMode;
  readonly ttl: number;
  /** Whether it is still held: not released, not lost. */
  readonly held: boolean;
  /** Aborted when the lease is lost: stop the work it guards. */
  readonly signal: AbortSignal;
  /** Rooms whose writes show this lease's token. */
  readonly guardedRooms: string[];
  /** Makes the relay accept writes to `room` only with this lock's latest token, and shows this lease's token for this provider's writes. */
  guard(room: string): Promise<void>;
  renew(): Promise<void>;
  /** Stops the automatic renewals (the lease then lapses at `expires`). */
  stopRenewing(): void;
  release(): Promise<void>;
}

/** Syncs documents with a weft relay over one WebSocket, reconnecting when it drops. */
export class WebSocketProvider {
  /** Syncs `doc` as `room` on the relay at `url`. */
  constructor(url: string, room: string, doc: Doc, options?: WebSocketProviderOptions);
  readonly awareness: Awareness;
  readonly status: ConnectionStatus;
  readonly synced: boolean;
  /** How many relays store a change before it is acknowledged. */
  readonly durability: number;
  /** Resolves when every document is synced. */
  whenSynced(): Promise<void>;
  /** What the relay acknowledged holding of `room` (default: the provider's room). */
  acknowledged(room?: string): globalThis.Map<bigint, number>;
  /** Resolves once the relay acknowledges everything `room`'s document holds now. */
  whenAcknowledged(room?: string): Promise<void>;
  /** Takes the lock `name` on the relay; waits while someone else holds it unless `wait` is false. */
  lock(name: string, options?: LockOptions): Promise<Lease>;
  /** Calls `listener` with the holder of `name` (or null) now and at every change. */
  watchLock(name: string, listener: (holder: LockHolder | null) => void, options?: { mode?: LockMode }): Unsubscribe;
  /** Syncs one more document over the same connection. */
  addDoc(room: string, doc: Doc): void;
  removeDoc(room: string): void;
  connect(): void;
  disconnect(): void;
  destroy(): void;
  on<E extends keyof WebSocketProviderEvents>(event: E, listener: WebSocketProviderEvents[E]): Unsubscribe;
  off<E extends keyof WebSocketProviderEvents>(event: E, listener: WebSocketProviderEvents[E]): void;
}

/** A container as change streams name it: a root by name, or a child by path. */
export interface StreamContainer {
  root?: string;
  /** A list element's container: `replica@counter:index` of the inserting operation. */
  element?: string;
  path?: string[];
  kind: "text" | "map" | "list" | "movable-list" | "counter" | "register";
}

/** One container's change in editor terms; positions count Unicode code points. */
export type StreamDiff =
  | { container: StreamContainer; text: ({ insert: string } | { retain: number } | { delete: number })[] }
  | { container: StreamContainer; list: ({ insert: unknown[] } | { retain: number } | { delete: number })[] }
  | { container: StreamContainer; map: Record<string, unknown> }
  | { container: StreamContainer; counter: number }
  | { container: StreamContainer; register: unknown };

/** A stored delta as the relay streams it. */
export interface StreamChange {
  doc: string;
  /** The relay's sequence number: increasing, with gaps. */
  seq: number;
  /** The version after it: replica id (a decimal string) to counter. */
  version: Record<string, number>;
  /** The changes it holds; deduplicate by dot (replica, counter). */
  changes: { replica: string; first: number; last: number }[];
  diffs: StreamDiff[];
  /** The delta itself, base64: `doc.import` takes it. */
  update: string;
}

export type ChangeStreamEvent =
  | { type: "change"; seq: number; data: StreamChange }
  | {
      type: "snapshot";
      seq: number;
      data: { doc: string; seq: number; version: Record<string, number>; snapshot: string };
    }
  | { type: "up-to-date" | "must-refetch"; seq: number; data: { seq: number } };

export interface SubscribeChangesOptions {
  /** After this sequence number (0: from the beginning), or `"now"` (the default). */
  from?: number | "now";
  /** From this version (`doc.version()`): first one change with everything since. */
  version?: Uint8Array;
  /**
   * A named durable cursor: resume after what `ack` stored, after drops too (at any
   * relay of a mesh with etcd; changes not yet acknowledged come again).
   */
  cursor?: string;
  token?: string | (() => string | Promise<string>);
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

/** A document's changes, in the order the relay stored them, then live. */
export interface ChangeStream extends AsyncIterable<ChangeStreamEvent> {
  /** Stores durably that this consumer processed up to `seq` (needs `cursor`). */
  ack(seq: number): Promise<void>;
  close(): void;
}

/** Follows document `doc` on the relay at `url` (http(s) or ws(s)); resumes after drops. */
export function subscribeChanges(url: string, doc: string, options?: SubscribeChangesOptions): ChangeStream;

/** Keeps a document in the browser's IndexedDB: loads what is stored, stores every update. */
export class IndexedDbPersistence {
  constructor(name: string, doc: Doc);
  /** Resolves once the stored state is loaded into the document. */
  readonly whenSynced: Promise<IndexedDbPersistence>;
  /** Deletes the stored document. */
  clearData(): Promise<void>;
  destroy(): Promise<void>;
}

/** The low-level sync protocol over any transport; WebSocketProvider is built on it. Time is in milliseconds. */
export class SyncSession {
  /** With `ackDelay` (ms), one acknowledgement covers the updates received that long, sent on a later `tick`. */
  constructor(peerId: bigint, ackDelay?: number);
  subscribe(now: number, name: string, doc: Doc): void;
  unsubscribe(name: string): void;
  localChanged(now: number, name: string): void;
  receive(now: number, message: Uint8Array, origin?: Origin): SessionEvent[];
  tick(now: number): SessionEvent[];
  setAwareness(now: number, name: string, state: Uint8Array | null): void;
  isSynced(name: string): boolean;
  takeOutgoing(): Uint8Array[];
  free(): void;
}

export type SessionEvent =
  | { type: "connected"; peer: bigint }
  | { type: "changed"; doc: string }
  | { type: "synced"; doc: string }
  | { type: "acknowledged"; doc: string }
  | { type: "awareness"; doc: string; peer: bigint; state: Uint8Array | null }
  | { type: "error"; message: string; /** What the peer said, when it reported the error. */ reported?: string };

/** Loads the WebAssembly module. "weft" (node and browsers) does it on import; "weft/web" fetches the .wasm next to it by default; "weft/slim" needs the bytes, a Response or a URL. */
export function init(input?: BufferSource | WebAssembly.Module | Response | Promise<Response> | URL | string): Promise<void>;
export function initSync(input: BufferSource | WebAssembly.Module): void;
export function isInitialized(): boolean;

/** The version of weft inside the module. */
export function weftVersion(): string;
