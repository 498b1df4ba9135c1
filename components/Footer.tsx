import { Text } from 'ink';
import { DASHBOARD_KEYS } from './keys.ts';

export function Footer({
  width,
  filterInput,
  appliedFilter,
}: {
  width: number;
  filterInput: string | null;
  appliedFilter: string;
}) {
  if (filterInput !== null) {
    return (
      <Text wrap="truncate">
        <Text color="yellow">/{filterInput}</Text>
        <Text color="gray">▏ enter apply · esc clear · !text inverts</Text>
      </Text>
    );
  }
  const hints = DASHBOARD_KEYS.filter((k) => k.footer).map((k) => k.footer);
  return (
    <Text wrap="truncate">
      {appliedFilter ? <Text color="yellow">/{appliedFilter} (esc clears) </Text> : null}
      <Text color="gray">{hints.join('  ').slice(0, width)}</Text>
    </Text>
  );
}
