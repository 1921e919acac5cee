# Helpers for the .ci/ stage scripts (sourced; each script sets STAGE first).

fail() {  # stop the stage with a message that names it
    echo "${STAGE:-ci} FAILED: $*" >&2
    exit 1
}

quiet() {  # run a command, show (the end of) its output only when it fails
    local log
    log=$(mktemp)
    if ! "$@" >"$log" 2>&1; then
        grep -v "is ignored: it is neither" "$log" | tail -40
        rm -f "$log"
        return 1
    fi
    rm -f "$log"
}
