# bash completion for cvm-vm(1)                           -*- shell-script -*-
# Options are read from the program's own --help; commands and option values
# are listed here and checked by tests/bats/docs.bats.

# The long options TOOL [COMMAND] --help lists.
_cvm_longopts() {
        "$@" --help 2>/dev/null | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}

_cvm_vm() {
        local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
        COMPREPLY=()
        case $prev in
        --accel) mapfile -t COMPREPLY < <(compgen -W "kvm tcg" -- "$cur"); return ;;
        --net) mapfile -t COMPREPLY < <(compgen -W "user none" -- "$cur"); return ;;
        --format) mapfile -t COMPREPLY < <(compgen -W "raw qcow2 vmdk vdi vhdx" -- "$cur"); return ;;
        --qgs) mapfile -t COMPREPLY < <(compgen -W "vsock:2:4050 unix: none" -- "$cur"); return ;;
        --state) mapfile -t COMPREPLY < <(compgen -d -- "$cur"); return ;;
        -s | --serial | -k | --kernel | --initrd | -f | --firmware | --vars)
                mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return ;;
        -m | --memory | -c | --cpus | --append | --vsock | --fw-cfg | --fw-cfg-string | --timeout | --name) return ;;
        esac
        if [ "$COMP_CWORD" -eq 1 ]; then
                mapfile -t COMPREPLY < <(compgen -W "run qemu xml check --help --version" -- "$cur")
        elif [[ $cur == -* ]]; then
                mapfile -t COMPREPLY < <(compgen -W "$(_cvm_longopts "${COMP_WORDS[0]}")" -- "$cur")
        else
                mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        fi
}
complete -o filenames -F _cvm_vm cvm-vm
