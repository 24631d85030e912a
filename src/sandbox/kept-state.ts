/**
 * Where the sandbox keeps its provider state (grants, codes, balances, messages) so a
 * restart, or a file save under `npm run dev`, finds every grant it issued still valid:
 * hashes in a Redis the app hands in (main.ts, under the sandbox's own key names from
 * redis/keys.ts). Reads are served from memory; every change is written through at once,
 * in order, on the one connection. Without a store (tests, `npm run sandbox`, benchmarks)
 * the state lives in memory only, as before.
 */
export interface SandboxStateStore {
  /** Every field of one hash (`name` is the sandbox's own: `sms77:refresh`, `nexmo:access`, …). */
  load(name: string): Promise<Record<string, string>>
  put(name: string, field: string, value: string): Promise<unknown>
  remove(name: string, field: string): Promise<unknown>
  clear(name: string): Promise<unknown>
}

/** Collects the maps to restore, so one `restore()` loads them all before the first request. */
export class KeptState {
  private readonly restorers: Array<() => Promise<void>> = []

  constructor(
    readonly store?: SandboxStateStore,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  /** A Map written through to the hash `name`; keys are strings, or numbers via `numericKeys`. */
  map<K extends string | number, V>(name: string, numericKeys = false): KeptMap<K, V> {
    const map = new KeptMap<K, V>(name, this.store, this.onError)
    if (this.store) this.restorers.push(() => map.restore(numericKeys))
    return map
  }

  /** Loads every kept map from the store (once, before serving). */
  async restore(): Promise<void> {
    await Promise.all(this.restorers.map((r) => r()))
  }
}

/**
 * A Map whose `set`, `delete` and `clear` are also sent to the store. A value changed in
 * place must be `set` again (or `keep`-ed) to be kept.
 */
export class KeptMap<K extends string | number, V> extends Map<K, V> {
  constructor(
    private readonly name: string,
    private readonly store: SandboxStateStore | undefined,
    private readonly onError: (err: unknown) => void,
  ) {
    super()
  }

  override set(key: K, value: V): this {
    super.set(key, value)
    this.write(() => this.store!.put(this.name, String(key), JSON.stringify(value)))
    return this
  }

  override delete(key: K): boolean {
    const had = super.delete(key)
    if (had) this.write(() => this.store!.remove(this.name, String(key)))
    return had
  }

  override clear(): void {
    super.clear()
    this.write(() => this.store!.clear(this.name))
  }

  /** An entry that is there until the store says otherwise (seed data): not written. */
  seed(key: K, value: V): void {
    super.set(key, value)
  }

  /** Writes the entry again after its value was changed in place. */
  keep(key: K): void {
    const value = super.get(key)
    if (value !== undefined) this.set(key, value)
  }

  async restore(numericKeys: boolean): Promise<void> {
    if (!this.store) return
    const stored = await this.store.load(this.name)
    for (const [field, json] of Object.entries(stored))
      super.set((numericKeys ? Number(field) : field) as K, JSON.parse(json) as V)
  }

  private write(send: () => Promise<unknown>): void {
    if (!this.store) return
    send().catch(this.onError)
  }
}
