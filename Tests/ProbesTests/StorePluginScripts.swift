/// Small real plugins for the store tests: bash scripts keeping records as files in the
/// directory given as their first argument. The second argument picks a misbehaviour.
enum StorePluginScripts {
    /// stunmesh-go's exec protocol.
    static let exec = #"""
        #!/bin/bash
        dir="$1"; mode="${2:-ok}"
        IFS= read -r line
        printf '%s\n' "$line" > "$dir/last-request"
        [[ $line =~ \"action\":\"([a-z]+)\" ]] && action="${BASH_REMATCH[1]}"
        [[ $line =~ \"key\":\"([0-9a-f]+)\" ]] && key="${BASH_REMATCH[1]}"
        [[ $line =~ \"value\":\"([^\"]*)\" ]] && value="${BASH_REMATCH[1]}"
        case "$mode" in
          fail) echo '{"success":false,"error":"quota exceeded for zone example.com"}'; exit 0 ;;
          exit3) echo '{"success":false,"error":"backend down"}'; echo "plugin: cannot reach backend" >&2; exit 3 ;;
          garbage) echo "this is not json"; exit 0 ;;
          nosuccess) echo '{"value":"00"}'; exit 0 ;;
          hang) sleep 1000 & echo $! > "$dir/sleeper.pid"; echo $$ > "$dir/plugin.pid"; wait; exit 0 ;;
          slow) sleep 0.5 ;;
          big) head -c 300000 /dev/zero | tr '\0' 'x' >&2 ;;
        esac
        case "$action" in
          get) if [[ -f "$dir/$key" ]]; then printf '{"success":true,"value":"%s"}\n' "$(cat "$dir/$key")"
               else echo '{"success":true,"value":""}'; fi ;;
          set) printf '%s' "$value" > "$dir/$key"; echo '{"success":true}'; echo "trailing log line" ;;
          *) echo '{"success":false,"error":"unknown action"}' ;;
        esac
        """#

    /// stunmesh-go's shell protocol.
    static let shell = #"""
        #!/bin/bash
        dir="$1"; mode="${2:-ok}"
        while IFS= read -r line; do
          case "$line" in
            STUNMESH_ACTION=*) action="${line#*=}" ;;
            STUNMESH_KEY=*) key="${line#*=}" ;;
            STUNMESH_VALUE=*) value="${line#*=}" ;;
          esac
        done
        case "$mode" in
          exit2) echo "backend said no" >&2; exit 2 ;;
          hang) exec sleep 1000 ;;
        esac
        case "$action" in
          get) if [[ -f "$dir/$key" ]]; then cat "$dir/$key"; fi; exit 0 ;;
          set) printf '%s\n' "$value" > "$dir/$key" ;;
          *) echo "unknown action $action" >&2; exit 1 ;;
        esac
        """#
}
