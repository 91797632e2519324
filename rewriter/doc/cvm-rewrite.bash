# bash completion for cvm-rewrite(1)                      -*- shell-script -*-
# Options are read from the program's own --help.  --recipe completes the
# shipped recipes (the recipes/ beside the plugin folder) as well as files;
# --set completes PLUGIN. with the plugin names and PLUGIN.KEY= with that
# plugin's parameters, from the folders cvm-rewrite itself searches: each
# --plugins DIR on the line, then the folder its --help names (CVM_PLUGINS_DIR,
# else the one beside the executable).

# The long options TOOL [COMMAND] --help lists.
_cvm_longopts() {
        "$@" --help 2>/dev/null | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}

# The plugin folders (the parents of NN-name/), each once, one a line.
_cvm_rewrite_plugin_dirs() {
        local i d
        {
                for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
                        [ "${COMP_WORDS[i]}" = --plugins ] && printf '%s\n' "${COMP_WORDS[i + 1]/#\~/$HOME}"
                done
                "${COMP_WORDS[0]}" --help 2>/dev/null | sed -n 's/.*(then \(.*\))$/\1/p'
        } | while IFS= read -r d; do
                (CDPATH='' cd "$d" 2>/dev/null && pwd -P)
        done | awk '!seen[$0]++'
}

# name TAB folder of every plugin found.
_cvm_rewrite_plugins() {
        local d y
        while IFS= read -r d; do
                for y in "$d"/*/plugin.yaml; do
                        [ -f "$y" ] && printf '%s\t%s\n' "$(sed -n 's/^name: *\([^ #]*\).*/\1/p' "$y" | head -n1)" "${y%/plugin.yaml}"
                done
        done < <(_cvm_rewrite_plugin_dirs)
}

_cvm_rewrite() {
        local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]} d f name dir
        local -a words=()
        COMPREPLY=()
        case $prev in
        --recipe)
                # Installed recipes by name (offered as their path), and files.
                while IFS= read -r d; do
                        for f in "${d%/*}"/recipes/*.yaml; do
                                [ -f "$f" ] || continue
                                name=${f##*/}
                                [[ $name == "$cur"* && $cur != */* ]] && words+=("$f")
                        done
                done < <(_cvm_rewrite_plugin_dirs)
                mapfile -t COMPREPLY < <(compgen -f -- "$cur")
                COMPREPLY+=("${words[@]}")
                return ;;
        --input | --output | --platform-values) mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return ;;
        --plugins) mapfile -t COMPREPLY < <(compgen -d -- "$cur"); return ;;
        --launch-timeout | --grub-device) return ;;
        --set)
                compopt -o nospace 2>/dev/null
                if [[ $cur == *.* ]]; then
                        # PLUGIN.KEY=: the keys under the plugin's params:.
                        while IFS=$'\t' read -r name dir; do
                                [ "$name" = "${cur%%.*}" ] || continue
                                while IFS= read -r f; do words+=("$name.$f="); done < <(
                                        sed -n '/^params:/,/^[a-z]/s/^  \([a-z_][a-z0-9_-]*\):.*/\1/p' "$dir/plugin.yaml")
                        done < <(_cvm_rewrite_plugins)
                else
                        while IFS=$'\t' read -r name dir; do words+=("$name."); done < <(_cvm_rewrite_plugins)
                fi
                mapfile -t COMPREPLY < <(compgen -W "${words[*]}" -- "$cur")
                return ;;
        esac
        mapfile -t COMPREPLY < <(compgen -W "$(_cvm_longopts "${COMP_WORDS[0]}") --version" -- "$cur")
}
complete -o filenames -F _cvm_rewrite cvm-rewrite
