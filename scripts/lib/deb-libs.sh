# Sourced by the package checks: libs_in_depends ROOT BIN DEPENDS fails
# (through the caller's `fail`) unless every library BIN (under ROOT, an
# unpacked .deb) loads comes from a package named in DEPENDS.
libs_in_depends() {
    local root="$1" bin="$2" depends="$3" so path pkg
    [ -x "$root/$bin" ] || fail "$bin missing"
    for so in $(readelf -d "$root/$bin" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
        path="$(ldconfig -p | awk -v so="$so" '$1 == so && !found { print $NF; found = 1 }')"
        [ -n "$path" ] || fail "$bin needs $so, not installed here"
        # Under usrmerge a library is registered by one of its two paths.
        pkg="$( (dpkg -S "$(readlink -f "$path")" || dpkg -S "$path") 2>/dev/null | head -1 | cut -d: -f1)"
        [ -n "$pkg" ] || fail "$bin needs $so, which no package provides"
        grep -qE "(^|, )$pkg( |,|$)" <<<"$depends" || fail "$bin needs $so from $pkg, not in Depends"
    done
}
