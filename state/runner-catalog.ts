import { describeError } from '../src/util/errors.ts';
import type { RunnerClient } from '../src/client/runner-client.ts';
import type { Result } from '../src/protocol/messages.ts';
import { PolledSnapshot } from './observable.ts';

export type CatalogData = Result<'catalog.snapshot'>;

export interface CatalogState {
  catalog: CatalogData | null;
  error: string | null;
}

/**
 * The dashboard's copy of the catalog (hosts, templates, offerings, networks, instances): read
 * once, then again whenever the runner says a collection changed. Needs a client subscribed to
 * everything (`tasks.subscribe`), as the task feed does.
 */
export class RunnerCatalog extends PolledSnapshot<CatalogState> {
  private off: (() => void) | null = null;
  private reading = false;
  private again = false;

  constructor(private readonly client: RunnerClient) {
    super({ catalog: null, error: null });
  }

  async connect(): Promise<void> {
    this.off?.();
    this.off = this.client.onCatalog(() => void this.refresh());
    await this.refresh();
  }

  override async refresh(): Promise<void> {
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = true;
    try {
      do {
        this.again = false;
        const catalog = await this.client.call('catalog.snapshot', {});
        this.publish({ catalog, error: null });
      } while (this.again);
    } catch (err) {
      this.publish({ ...this.getSnapshot(), error: describeError(err) });
    } finally {
      this.reading = false;
    }
  }

  close(): void {
    this.off?.();
    this.off = null;
  }
}
