import { Box, Text } from 'ink';
import type { RackSummary } from '../state/live.ts';
import type { CatalogSnapshot, DashboardEvent } from './actions.ts';
import { fit } from './format.ts';
import { useColor } from './theme.tsx';

/** A plain list view (racks, the catalog, events): columns of text, one row selected. */
export interface ListRow {
  key: string;
  cells: readonly string[];
  /** The host an `enter` on this row opens, if any. */
  hostname?: string;
  /** The rack an `enter` on this row opens, if any. */
  rack?: string;
  tone?: 'error' | 'warn';
}

export interface ListModel {
  columns: readonly { title: string; width: number }[];
  rows: readonly ListRow[];
  /** Said when there are no rows. */
  empty: string;
}

const gib = (mb: number) => `${Math.round(mb / 1024)} GiB`;

export function listModel(
  view: string,
  data: {
    racks: readonly RackSummary[];
    catalog: CatalogSnapshot | undefined;
    events: readonly DashboardEvent[];
  },
): ListModel {
  const c = data.catalog;
  switch (view) {
    case 'racks':
      return racksModel(data.racks);
    case 'networks':
      return networksModel(c);
    case 'templates':
      return templatesModel(c);
    case 'offerings':
      return offeringsModel(c);
    case 'instances':
      return instancesModel(c);
    default:
      return eventsModel(data.events);
  }
}

const NO_CATALOG = 'no catalog: the site runner provides offerings, templates, networks and instances';

function racksModel(racks: readonly RackSummary[]): ListModel {
  return {
    columns: [
      { title: 'RACK', width: 12 },
      { title: 'SWITCH', width: 14 },
      { title: 'HOSTS', width: 6 },
    ],
    rows: racks.map((r) => ({
      key: r.name,
      cells: [r.name, r.switchName || '-', String(r.hostCount)],
      rack: r.name,
    })),
    empty: 'no racks in the rack file',
  };
}

function networksModel(c: CatalogSnapshot | undefined): ListModel {
  return {
    columns: [
      { title: 'NETWORK', width: 16 },
      { title: 'VLAN', width: 6 },
      { title: 'DESCRIPTION', width: 40 },
    ],
    rows: (c?.networks ?? []).map((n) => ({
      key: n.id,
      cells: [n.name, String(n.vlan), n.description ?? ''],
    })),
    empty: c ? 'no networks: rackpilot network add NAME --vlan ID' : NO_CATALOG,
  };
}

function templatesModel(c: CatalogSnapshot | undefined): ListModel {
  return {
    columns: [
      { title: 'TEMPLATE', width: 16 },
      { title: 'IMAGE', width: 22 },
      { title: 'DESCRIPTION', width: 40 },
    ],
    rows: (c?.templates ?? []).map((t) => ({
      key: t.id,
      cells: [t.name, t.image, t.description ?? ''],
    })),
    empty: c ? 'no templates: rackpilot template add NAME --image IMAGE' : NO_CATALOG,
  };
}

function offeringsModel(c: CatalogSnapshot | undefined): ListModel {
  return {
    columns: [
      { title: 'OFFERING', width: 16 },
      { title: 'CORES', width: 6 },
      { title: 'MHZ', width: 6 },
      { title: 'MEMORY', width: 10 },
    ],
    rows: (c?.offerings ?? []).map((o) => ({
      key: o.id,
      cells: [o.name, String(o.cpuCores), String(o.cpuMhz), gib(o.memoryMb)],
    })),
    empty: c ? 'no offerings: rackpilot offering add NAME --cores … --mhz … --memory …' : NO_CATALOG,
  };
}

function instancesModel(c: CatalogSnapshot | undefined): ListModel {
  const host = new Map(c?.hosts.map((h) => [h.id, h.hostname]));
  const name = <T extends { id: string; name: string }>(list: readonly T[] | undefined, id: string) =>
    list?.find((x) => x.id === id)?.name ?? id;
  return {
    columns: [
      { title: 'INSTANCE', width: 14 },
      { title: 'HOST', width: 12 },
      { title: 'STATE', width: 10 },
      { title: 'OFFERING', width: 12 },
      { title: 'TEMPLATE', width: 12 },
      { title: 'NETWORKS', width: 24 },
    ],
    rows: (c?.instances ?? []).map((i) => {
      const hostname = host.get(i.hostId);
      return {
        key: i.id,
        cells: [
          i.name,
          hostname ?? i.hostId,
          i.state,
          name(c?.offerings, i.offeringId),
          name(c?.templates, i.templateId),
          i.networkIds.map((n) => name(c?.networks, n)).join(','),
        ],
        ...(hostname && { hostname }),
        ...(i.state === 'error' && { tone: 'error' as const }),
      };
    }),
    empty: c ? 'no instances: d on a Ready host deploys one' : NO_CATALOG,
  };
}

function eventsModel(events: readonly DashboardEvent[]): ListModel {
  return {
    columns: [
      { title: 'AT', width: 8 },
      { title: 'HOST', width: 10 },
      { title: 'SOURCE', width: 8 },
      { title: 'EVENT', width: 60 },
    ],
    rows: events.map((e, i) => ({
      key: `${i}`,
      cells: [e.at.length > 8 ? e.at.slice(11, 19) : e.at, e.host ?? '-', e.source, e.text],
      ...(e.host && { hostname: e.host }),
      ...(e.level === 'error'
        ? { tone: 'error' as const }
        : e.level === 'warn'
          ? { tone: 'warn' as const }
          : {}),
    })),
    empty: 'no events yet',
  };
}

export function ListView({
  model,
  selected,
  offset,
  height,
  width,
}: {
  model: ListModel;
  selected: number;
  offset: number;
  height: number;
  width: number;
}) {
  const color = useColor();
  // The last column takes what is left.
  const widths = model.columns.map((col, i) =>
    i === model.columns.length - 1
      ? Math.max(col.width, width - model.columns.slice(0, -1).reduce((n, c) => n + c.width + 1, 0))
      : col.width,
  );
  const line = (cells: readonly string[]) => cells.map((text, i) => fit(text, widths[i] ?? 8)).join(' ');
  return (
    <Box flexDirection="column" width={width}>
      <Text bold wrap="truncate">
        {line(model.columns.map((c) => c.title))}
      </Text>
      {model.rows.length === 0 ? (
        <Text color={color('gray')} wrap="wrap">
          {model.empty}
        </Text>
      ) : null}
      {model.rows.slice(offset, offset + height).map((row, i) => (
        <Text
          key={row.key}
          inverse={offset + i === selected}
          color={color(row.tone === 'error' ? 'red' : row.tone === 'warn' ? 'yellow' : undefined)}
          wrap="truncate"
        >
          {line(row.cells)}
        </Text>
      ))}
    </Box>
  );
}
