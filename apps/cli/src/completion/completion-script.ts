import type { Command } from 'commander';

interface Node {
  path: string;
  subcommands: Array<{ name: string; description: string }>;
  options: Array<{ flag: string; description: string }>;
}

/** Every command of the tree by its path (`silo service create`), aliases included, with its verbs and flags. */
export function commandTable(program: Command): Node[] {
  const nodes: Node[] = [];
  const globals = program.options.filter((o) => !o.hidden && o.long !== '--version');
  const walk = (command: Command, path: string) => {
    const subs = command.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
    const options = [...command.options, ...(command === program ? [] : globals)]
      .filter((o) => !o.hidden)
      .flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f)).map((flag) => ({ flag, description: o.description })));
    const seen = new Set<string>();
    nodes.push({
      path,
      subcommands: subs.flatMap((c) => [c.name(), ...c.aliases()].map((name) => ({ name, description: c.description() }))),
      options: [...options, { flag: '--help', description: 'show help' }].filter((o) => !seen.has(o.flag) && seen.add(o.flag)),
    });
    for (const sub of subs) for (const name of [sub.name(), ...sub.aliases()]) walk(sub, `${path} ${name}`);
  };
  walk(program, program.name());
  return nodes;
}

const shellWords = (words: string[]) => words.join(' ');

export function bashCompletion(program: Command): string {
  const nodes = commandTable(program);
  const name = program.name();
  const paths = nodes.filter((n) => n.path !== name).map((n) => `"${n.path}"`);
  const cases = nodes
    .map((n) => `    "${n.path}") subs="${shellWords(n.subcommands.map((s) => s.name))}"; opts="${shellWords(n.options.map((o) => o.flag))}" ;;`)
    .join('\n');
  return `# bash completion for ${name}: source <(${name} completion bash), or save it in /etc/bash_completion.d/${name}
_${name}_complete() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="${name}" word i subs="" opts=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    [[ "$word" == -* ]] && continue
    case "$path $word" in
      ${paths.join('|')}) path="$path $word" ;;
    esac
  done
  case "$path" in
${cases}
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
  elif [[ -n "$subs" ]]; then
    COMPREPLY=( $(compgen -W "$subs" -- "$cur") )
  else
    COMPREPLY=( $(compgen -f -- "$cur") )
  fi
}
complete -o default -F _${name}_complete ${name}
`;
}

const zshItem = (name: string, description: string) => `'${name.replace(/:/g, '\\:')}:${description.replace(/'/g, `'\\''`).replace(/\n/g, ' ')}'`;

export function zshCompletion(program: Command): string {
  const nodes = commandTable(program);
  const name = program.name();
  const paths = nodes.filter((n) => n.path !== name).map((n) => `"${n.path}"`);
  const cases = nodes
    .map((n) => `    "${n.path}")\n      subs=(${n.subcommands.map((s) => zshItem(s.name, s.description)).join(' ')})\n      opts=(${n.options.map((o) => zshItem(o.flag, o.description)).join(' ')}) ;;`)
    .join('\n');
  return `#compdef ${name}
# zsh completion for ${name}: source <(${name} completion zsh), or save it as _${name} in a directory of $fpath
_${name}() {
  local path_="${name}" word i
  local -a subs opts
  for ((i = 2; i < CURRENT; i++)); do
    word="\${words[i]}"
    [[ "$word" == -* ]] && continue
    case "$path_ $word" in
      ${paths.join('|')}) path_="$path_ $word" ;;
    esac
  done
  case "$path_" in
${cases}
  esac
  if [[ "\${words[CURRENT]}" == -* ]]; then
    _describe -t options 'option' opts
  elif (( \${#subs} )); then
    _describe -t commands 'command' subs
  else
    _files
  fi
}
compdef _${name} ${name}
`;
}
