import { createContext, useContext, type ReactNode } from 'react';
import { defaultTheme, ThemeProvider, type ComponentTheme, type Theme } from '@inkjs/ui';

/**
 * Colour, or none: with NO_COLOR set (https://no-color.org) no view passes a colour to Ink, and the
 * @inkjs/ui inputs get a theme with their colours taken out. Emphasis that is not colour (bold,
 * inverse for the cursor) stays, so the screen still reads.
 */
const NoColorContext = createContext(false);

export function noColorFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.NO_COLOR !== undefined && env.NO_COLOR !== '';
}

/** `c('red')` is 'red', or undefined when colour is off. */
export function useColor(): (color: string | undefined) => string | undefined {
  const off = useContext(NoColorContext);
  return off ? () => undefined : (color) => color;
}

function withoutColour(theme: Theme): Theme {
  const components: Record<string, ComponentTheme> = {};
  for (const [name, component] of Object.entries(theme.components)) {
    const styles: NonNullable<ComponentTheme['styles']> = {};
    for (const [part, style] of Object.entries(component.styles ?? {})) {
      styles[part] = (props?: unknown) => {
        const { color: _c, backgroundColor: _b, ...rest } = style(props) as Record<string, unknown>;
        return rest;
      };
    }
    components[name] = { ...component, styles };
  }
  return { components };
}

const NO_COLOUR_THEME = withoutColour(defaultTheme);

export function ColorScope({ noColor, children }: { noColor: boolean; children: ReactNode }) {
  return (
    <NoColorContext.Provider value={noColor}>
      <ThemeProvider theme={noColor ? NO_COLOUR_THEME : defaultTheme}>{children}</ThemeProvider>
    </NoColorContext.Provider>
  );
}
