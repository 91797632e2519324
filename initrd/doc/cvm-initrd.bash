# bash completion for cvm-initrd(1)                       -*- shell-script -*-
# Options are read from the program's own --help; commands and option values
# are listed here and checked by tests/bats/docs.bats.

# The long options TOOL [COMMAND] --help lists.
_cvm_longopts() {
        "$@" --help 2>/dev/null | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}

_cvm_initrd() {
        local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]} cmd=
        COMPREPLY=()
        [ "$COMP_CWORD" -gt 1 ] && cmd=${COMP_WORDS[1]}
        case $prev in
        --compress) mapfile -t COMPREPLY < <(compgen -W "none gzip zstd xz lzma bzip2" -- "$cur"); return ;;
        --tree | --prefix) mapfile -t COMPREPLY < <(compgen -d -- "$cur"); return ;;
        -o | --output | --out | --add) mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return ;;
        --remove | --lib) return ;;
        esac
        if [ "$COMP_CWORD" -eq 1 ]; then
                mapfile -t COMPREPLY < <(compgen -W "list extract append rebuild create bundle --help --version" -- "$cur")
        elif [[ $cur == -* ]]; then
                mapfile -t COMPREPLY < <(compgen -W "$(_cvm_longopts "${COMP_WORDS[0]}" "$cmd")" -- "$cur")
        else
                mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        fi
}
complete -o filenames -F _cvm_initrd cvm-initrd
