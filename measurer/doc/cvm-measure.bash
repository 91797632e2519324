# bash completion for cvm-measure(8)                      -*- shell-script -*-
# Options are read from the program's own --help; option values are listed
# here and checked by tests/bats/docs.bats.

# The long options TOOL [COMMAND] --help lists.
_cvm_longopts() {
        "$@" --help 2>/dev/null | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}

_cvm_measure() {
        local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
        COMPREPLY=()
        case $prev in
        --backend) mapfile -t COMPREPLY < <(compgen -W "tdx tpm2 sim" -- "$cur"); return ;;
        --sim-space) mapfile -t COMPREPLY < <(compgen -W "pcr cc-mr" -- "$cur"); return ;;
        -b | --bank) mapfile -t COMPREPLY < <(compgen -W "sha1 sha256 sha384 sha512 sm3_256" -- "$cur"); return ;;
        -r | --root | --proc | --sysroot) mapfile -t COMPREPLY < <(compgen -d -- "$cur"); return ;;
        -p | --policy | -l | --log | -o | --output | --sim-state) mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return ;;
        -t | --threads | --tcti | --device-wait) return ;;
        esac
        mapfile -t COMPREPLY < <(compgen -W "$(_cvm_longopts "${COMP_WORDS[0]}")" -- "$cur")
}
complete -o filenames -F _cvm_measure cvm-measure
