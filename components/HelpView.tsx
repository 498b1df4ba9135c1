import { Box, Text } from 'ink';
import { DASHBOARD_KEYS } from './keys.ts';
import { fit } from './format.ts';

export function HelpView({ width }: { width: number }) {
  return (
    <Box flexDirection="column" width={width}>
      <Text bold>Keys (esc closes)</Text>
      {DASHBOARD_KEYS.map((k) => (
        <Text key={k.action} wrap="truncate">
          <Text color="cyan">{fit(k.keys, 16)}</Text> {k.help}
        </Text>
      ))}
    </Box>
  );
}
