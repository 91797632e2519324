# bash completion for cvm-evidence(1)                     -*- shell-script -*-
# Options are read from the program's own --help, so they never lag behind it;
# commands and option values are listed here and checked by tests/bats/docs.bats.

# The long options TOOL [COMMAND] --help lists.
_cvm_longopts() {
        "$@" --help 2>/dev/null | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}

_cvm_evidence() {
        local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]} cmd=
        local commands="eventlog replay parse-quote info measurements extend recover quote verify reference-values boot-chain pe-digest mrtd pcr7 cc-map"
        local algs="sha1 sha256 sha384 sha512 sm3_256"
        local formats="auto tcg2 tcg12 ccel ima ima-ascii ima-binary cel cel-json"
        COMPREPLY=()
        [ "$COMP_CWORD" -gt 1 ] && cmd=${COMP_WORDS[1]}

        case $prev in
        --backend) mapfile -t COMPREPLY < <(compgen -W "tpm2 tdx sim service" -- "$cur"); return ;;
        --sim-space) mapfile -t COMPREPLY < <(compgen -W "pcr cc-mr" -- "$cur"); return ;;
        -f | --format)
                [ "$cmd" = reference-values ] && formats="rvps keylime in-toto"
                mapfile -t COMPREPLY < <(compgen -W "$formats" -- "$cur"); return ;;
        --alg | -a | --bank | -b) mapfile -t COMPREPLY < <(compgen -W "$algs" -- "$cur"); return ;;
        --space) mapfile -t COMPREPLY < <(compgen -W "tdx tpm" -- "$cur"); return ;;
        --sysroot) mapfile -t COMPREPLY < <(compgen -d -- "$cur"); return ;;
        -l | --log | --sim-state | --socket | -m | --manifest | --against | -o | --output | --out | --subject)
                mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return ;;
        --tcti | -i | --index | -d | --data | -D | --digest | --event-type | --nonce | --count | \
                -s | --start | -u | --user-data | --report-data | --pcrs | -k | --ak-handle | -N | --tsm-name)
                return ;;
        esac

        if [ "$COMP_CWORD" -eq 1 ]; then
                mapfile -t COMPREPLY < <(compgen -W "$commands --help --version" -- "$cur")
        elif [[ $cur == -* ]]; then
                mapfile -t COMPREPLY < <(compgen -W "$(_cvm_longopts "${COMP_WORDS[0]}" "$cmd")" -- "$cur")
        else
                mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        fi
}
complete -o filenames -F _cvm_evidence cvm-evidence
