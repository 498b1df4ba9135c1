import { eprintln, type CommandIo } from './io.ts';
import { FILES } from './complete.ts';

/**
 * `rackpilot completion bash|zsh|fish`: a script that hands each completion to
 * `rackpilot __complete` (complete.ts), which answers from the command registry and the site. The
 * scripts hold no command names of their own, so a new command completes without a new script.
 */

const BASH = `# rackpilot completion for bash: source <(rackpilot completion bash)
_rackpilot() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" out
  out=$("\${COMP_WORDS[0]}" __complete -- "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null) || return 0
  COMPREPLY=()
  if [[ "$out" == "${FILES}" || "$out" == *$'\\n'"${FILES}" ]]; then
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    return 0
  fi
  [[ -n "$out" ]] && mapfile -t COMPREPLY <<<"$out"
  return 0
}
complete -F _rackpilot rackpilot
`;

const ZSH = `#compdef rackpilot
# rackpilot completion for zsh: source <(rackpilot completion zsh), or save as _rackpilot in $fpath
_rackpilot() {
  local -a out
  out=("\${(@f)$(\${words[1]} __complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  out=(\${out:#})
  if [[ "\${out[-1]}" == "${FILES}" ]]; then
    _files
    return
  fi
  (( \${#out} )) && compadd -- "\${out[@]}"
}
if [[ "\${funcstack[1]}" == "_rackpilot" ]]; then
  _rackpilot "$@"
else
  compdef _rackpilot rackpilot
fi
`;

const FISH = `# rackpilot completion for fish: rackpilot completion fish > ~/.config/fish/completions/rackpilot.fish
function __rackpilot_complete
    set -l words (commandline -opc) (commandline -ct)
    set -l out ($words[1] __complete -- $words[2..-1] 2>/dev/null)
    if test (count $out) -gt 0; and test "$out[-1]" = "${FILES}"
        __fish_complete_path (commandline -ct)
        return
    end
    printf '%s\\n' $out
end
complete -c rackpilot -f -a '(__rackpilot_complete)'
`;

export const COMPLETION_SCRIPTS = { bash: BASH, zsh: ZSH, fish: FISH } as const;
export type Shell = keyof typeof COMPLETION_SCRIPTS;

export async function completionCommand(argv: string[], io: CommandIo): Promise<number> {
  const shell = argv.find((a) => !a.startsWith('-'));
  if (!shell || !(shell in COMPLETION_SCRIPTS)) {
    eprintln(io, 'rackpilot completion: which shell? bash, zsh or fish');
    return 2;
  }
  io.stdout.write(COMPLETION_SCRIPTS[shell as Shell]);
  return 0;
}
