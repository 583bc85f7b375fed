# bash completion for rdwh-host and rdwh-gateway (installed as
# share/bash-completion/completions/{rdwh-host,rdwh-gateway}; or: source this file). Every option
# each program's --help names is offered (test/packaging/completion_test.sh compares them).

# The provider names the plugins offer: the "name"s inside each plugin's "providers" list of
# `rdwh-host [--plugin-dir DIR]... plugins`.
_rdwh_providers() {
  "$@" plugins 2>/dev/null | sed -n '/"providers": \[/,/\]/ s/^ *"name": "\([^"]*\)",\{0,1\}$/\1/p'
}

# The words that choose plugin directories on the line being completed (the host and --plugin-dir).
_rdwh_host_words() {
  local i words=("${COMP_WORDS[0]}")
  for ((i = 1; i < COMP_CWORD; i++)); do
    [[ ${COMP_WORDS[i]} == --plugin-dir ]] && words+=(--plugin-dir "${COMP_WORDS[i + 1]}")
  done
  echo "${words[@]}"
}

_rdwh_host() {
  local cur prev command i
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD - 1]}
  command=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      --plugin-dir) ((i++)) ;;
      -*) ;;
      *) command=${COMP_WORDS[i]}; break ;;
    esac
  done
  case $prev in
    --plugin-dir) COMPREPLY=($(compgen -d -- "$cur")); return ;;
    --config | --body | --expect) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --dir) COMPREPLY=($(compgen -d -- "$cur")); return ;;
    --provider) COMPREPLY=($(compgen -W "$(_rdwh_providers $(_rdwh_host_words))" -- "$cur")); return ;;
    --key | --header | --now | --repeat | --delivery-id | --webhook-name | --project | --sender) return ;;
  esac
  case $command in
    "") COMPREPLY=($(compgen -W "plugins describe handle sign send test lint --plugin-dir --version --help" -- "$cur")) ;;
    describe) COMPREPLY=($(compgen -W "$(_rdwh_providers $(_rdwh_host_words))" -- "$cur")) ;;
    handle)
      COMPREPLY=($(compgen -W "--provider --config --body --header --key --now --repeat --delivery-id --webhook-name
                                --project --sender --brief" -- "$cur")) ;;
    sign) COMPREPLY=($(compgen -W "--key --body" -- "$cur")) ;;
    send) COMPREPLY=($(compgen -W "--body --fresh --key --header" -- "$cur")) ;;
    test) COMPREPLY=($(compgen -W "--provider --config --dir --expect --update --key --json" -- "$cur")) ;;
    lint) COMPREPLY=($(compgen -W "--provider --config --dir --key" -- "$cur")) ;;
  esac
}

_rdwh_gateway() {
  local cur prev
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD - 1]}
  case $prev in
    --config | --import | --export) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --status) COMPREPLY=($(compgen -W "queued running done refused skipped" -- "$cur")); return ;;
    --webhook | --id | --since) return ;;
  esac
  COMPREPLY=($(compgen -W "--config --check --file-only --online --jobs --requeue --status --webhook --id --dry-run --import
                           --export --with-tokens --reverify --since --version --help" -- "$cur"))
}

complete -o filenames -F _rdwh_host rdwh-host
complete -o filenames -F _rdwh_gateway rdwh-gateway
