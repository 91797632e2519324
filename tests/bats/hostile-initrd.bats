#!/usr/bin/env bats
# cvm-initrd against hostile and careless input (issue 14): FIFOs, devices and
# directories where a file is expected, truncated and garbage images, archives
# that try to climb out of DIR, bad --add/--tree specs.  Each case: the exit
# code, a message naming the input and what was wrong, inputs unchanged and
# nothing left under $OUT (tests/bats/hostile.bash).

load hostile

# mkcpio < SPEC: a newc archive from lines "f NAME CONTENT", "F NAME CONTENT"
# (the same, with nlink 2), "d NAME", "l NAME TARGET", "h NAME OTHER [CONTENT]"
# (a hard link to the earlier "F" file OTHER, carrying CONTENT),
# "c NAME MAJOR MINOR" (a character device) and "s NAME SIZE" (a file whose
# header claims SIZE bytes, followed by none).  Names are written as given.
mkcpio() {
        python3 -c "$MKCPIO"
}
MKCPIO=$(cat <<'EOF'
import sys
out = bytearray()
inos = {}
def entry(name, mode, data=b"", ino=None, nlink=1, rmaj=0, rmin=0, size=None):
    global out
    n = name.encode() + b"\0"
    ino = ino if ino is not None else len(inos) + 1000
    size = len(data) if size is None else size
    hdr = "070701" + "".join("%08x" % v for v in (ino, mode, 0, 0, nlink, 0, size, 0, 0, rmaj, rmin, len(n), 0))
    out += hdr.encode() + n
    out += b"\0" * (-len(out) % 4)
    out += data
    out += b"\0" * (-len(out) % 4)
for line in sys.stdin.read().splitlines():
    t, name, *rest = line.split(" ")
    if t in ("f", "F"):
        inos[name] = len(inos) + 1
        entry(name, 0o100644, rest[0].encode(), ino=inos[name], nlink=2 if t == "F" else 1)
    elif t == "d":
        entry(name, 0o40755)
    elif t == "l":
        entry(name, 0o120777, rest[0].encode())
    elif t == "h":
        entry(name, 0o100644, rest[1].encode() if len(rest) > 1 else b"", ino=inos[rest[0]], nlink=2)
    elif t == "c":
        entry(name, 0o20666, rmaj=int(rest[0]), rmin=int(rest[1]))
    elif t == "s":
        entry(name, 0o100644, size=int(rest[0]))
        sys.stdout.buffer.write(out)
        sys.exit(0)
entry("TRAILER!!!", 0)
out += b"\0" * (-len(out) % 512)
sys.stdout.buffer.write(out)
EOF
)

# Placing entries needs openat2(RESOLVE_IN_ROOT), which valgrind 3.19 does not know (syscall 437).
needs_openat2() {
        if [[ "${CVM_WRAP:-}" == *valgrind* ]]; then
                skip "valgrind 3.19 does not implement openat2"
        fi
}

setup() {
        hostile_setup
        echo payload >"$IN/file"
        printf 'f etc/a one\nd etc/dir\n' | mkcpio >"$IN/good.img"
        mkfifo "$IN/fifo"
        mkdir "$IN/dir"
}

# --- list: the image ---

@test "list: a FIFO as the image is refused at once by its type, not read" {
        bad 2 "*$IN/fifo: a FIFO, expected a regular file*" "$I" list "$IN/fifo"
}

@test "list: /dev/zero as the image is refused as a character device, not read" {
        bad 2 "*/dev/zero: a character device, expected a regular file*" "$I" list /dev/zero
}

@test "list: a directory as the image" {
        bad 2 "*$IN/dir: a directory, expected a regular file*" "$I" list "$IN/dir"
}

@test "list: a symlink to a FIFO is refused by what it points to" {
        ln -s fifo "$IN/link.img"
        bad 2 "*$IN/link.img: a FIFO, expected a regular file*" "$I" list "$IN/link.img"
}

@test "list: an empty image" {
        : >"$IN/empty.img"
        bad 2 "*$IN/empty.img: empty file*" "$I" list "$IN/empty.img"
}

@test "list: garbage bytes, neither cpio nor a known compression" {
        printf 'MZ this is not an initramfs' >"$IN/junk.img"
        bad 2 "*$IN/junk.img: segment 0 at offset 0: neither a cpio archive nor a known compression*" "$I" list "$IN/junk.img"
}

@test "list: a gzip segment cut short names the segment and its offset" {
        gzip -c "$IN/good.img" | head -c 40 >"$IN/cut.img"
        bad 2 "*$IN/cut.img: segment 0 (gzip at offset 0): the compressed stream does not end within*" "$I" list "$IN/cut.img"
}

@test "list: an entry claiming 4 GiB of data that is not there" {
        echo "s huge 4294967295" | mkcpio >"$IN/huge.img"
        bad 2 "*$IN/huge.img*cpio entry 'huge' claims 4294967295 bytes of data, past the end*" "$I" list "$IN/huge.img"
}

@test "list: an entry named ../x (path traversal) is refused with its offset" {
        printf 'f ok x\nf ../x evil\n' | mkcpio >"$IN/dots.img"
        bad 2 "*$IN/dots.img: segment 0 (none at offset 0), archive byte *: entry name '../x' is empty, too long or has a '..' component*" \
                "$I" list "$IN/dots.img"
}

# --- extract: the image and DIR ---

@test "extract: a FIFO as the image; DIR is not created" {
        bad 2 "*$IN/fifo: a FIFO, expected a regular file*" "$I" extract "$IN/fifo" "$OUT/d"
}

@test "extract: a traversal entry after good ones leaves no DIR and no partial tree" {
        printf 'd etc\nf etc/passwd root\nf ../../evil pwned\n' | mkcpio >"$IN/dots.img"
        bad 2 "*$IN/dots.img*entry name '../../evil'*'..' component*" "$I" extract "$IN/dots.img" "$OUT/d"
}

@test "extract: a good segment then a truncated gzip one leaves no DIR" {
        { cat "$IN/good.img"; gzip -c "$IN/good.img" | head -c 30; } >"$IN/two.img"
        bad 2 "*$IN/two.img: segment 1 (gzip at offset 512)*" "$I" extract "$IN/two.img" "$OUT/d"
}

@test "extract: an entry through a symlink to a file names the entry and the link's target" {
        needs_openat2
        printf 'f file x\nl x file\nf x/y pwned\n' | mkcpio >"$IN/h.img"
        bad 2 "*'x/y': its parent 'x' is a symlink to 'file', which is not a directory inside the extraction directory*" \
                "$I" extract "$IN/h.img" "$OUT/d"
}

@test "extract: an entry through a dangling absolute symlink names the entry and the target" {
        needs_openat2
        printf 'l esc /cvm-nowhere\nf esc/pwned pwned\n' | mkcpio >"$IN/h.img"
        bad 2 "*'esc/pwned': its parent 'esc' is a symlink to '/cvm-nowhere'*" "$I" extract "$IN/h.img" "$OUT/d"
        [ ! -e /cvm-nowhere ]
}

@test "extract: a hard link whose target was replaced by a symlink to a host file writes nothing through it" {
        needs_openat2
        printf 'F a one\nl a /etc/shadow\nh b a pwned\n' | mkcpio >"$IN/hl.img"
        before=$(sha256sum /etc/shadow)
        bad 2 "*$IN/hl.img*'b': a hard link to 'a', which is a symlink by now, not a regular file*" \
                "$I" extract "$IN/hl.img" "$OUT/d"
        [ "$(sha256sum /etc/shadow)" = "$before" ]
}

@test "extract: DIR exists and is not empty: refused (exit 3), its content untouched" {
        mkdir "$OUT/d" && echo mine >"$OUT/d/keep"
        bad 3 "*$OUT/d: exists and is not empty*" "$I" extract "$IN/good.img" "$OUT/d"
        [ "$(cat "$OUT/d/keep")" = mine ]
}

@test "extract: DIR is a regular file: refused (exit 3)" {
        echo mine >"$OUT/d"
        bad 3 "*$OUT/d: exists and is a regular file*" "$I" extract "$IN/good.img" "$OUT/d"
}

# --- append, rebuild, create: the image and the --add/--tree sources ---

@test "append: a FIFO as the image" {
        bad 2 "*$IN/fifo: a FIFO, expected a regular file*" "$I" append "$IN/fifo" --out "$OUT/o.img" --add "$IN/file:/x"
}

@test "append: /dev/zero as the image" {
        bad 2 "*/dev/zero: a character device, expected a regular file*" "$I" append /dev/zero --out "$OUT/o.img" --add "$IN/file:/x"
}

@test "append: --add from a FIFO is refused before anything is written" {
        bad 2 "*--add: $IN/fifo: a FIFO, expected a regular file*" "$I" append "$IN/good.img" --out "$OUT/o.img" --add "$IN/fifo:/x"
}

@test "append: --add from /dev/zero" {
        bad 2 "*--add: /dev/zero: a character device, expected a regular file*" \
                "$I" append "$IN/good.img" --out "$OUT/o.img" --add /dev/zero:/x
}

@test "append: --add from a directory" {
        bad 2 "*--add: $IN/dir: a directory, expected a regular file*" "$I" append "$IN/good.img" --out "$OUT/o.img" --add "$IN/dir:/x"
}

@test "append: --add from a file that does not exist" {
        bad 2 "*--add: $IN/nothing: cannot open: No such file or directory*" \
                "$I" append "$IN/good.img" --out "$OUT/o.img" --add "$IN/nothing:/x"
}

@test "append: --add MODE 99999 is an error, not part of the destination's name" {
        bad 2 "*--add: '$IN/file:/etc/x:99999': mode '99999' is not an octal mode of at most 07777*" \
                "$I" append "$IN/good.img" --out "$OUT/o.img" --add "$IN/file:/etc/x:99999"
}

@test "append: --add MODE that is not a number (a destination cannot contain ':')" {
        bad 2 "*mode 'b' is not an octal mode*a destination cannot contain ':'*" \
                "$I" append "$IN/good.img" --out "$OUT/o.img" --add "$IN/file:/etc/a:b"
}

@test "append: --add MODE beyond 07777" {
        bad 2 "*mode '10000' is not an octal mode of at most 07777*" \
                "$I" append "$IN/good.img" --out "$OUT/o.img" --add "$IN/file:/x:10000"
}

@test "append: --add with a '..' destination" {
        bad 2 "*destination '../../etc/x' is empty, too long or has a '..' component*" \
                "$I" append "$IN/good.img" --out "$OUT/o.img" --add "$IN/file:../../etc/x"
}

@test "append: --add without a destination" {
        bad 2 "*--add: '$IN/file': expected SOURCE:DEST*" "$I" append "$IN/good.img" --out "$OUT/o.img" --add "$IN/file"
}

@test "append: --tree of a FIFO" {
        bad 2 "*--tree: $IN/fifo: is a FIFO, not a directory*" "$I" append "$IN/good.img" --out "$OUT/o.img" --tree "$IN/fifo:/x"
}

@test "append: --tree with a mode field" {
        bad 2 "*--tree: '$IN/dir:/x:0755': expected DIR:DEST (a tree takes no mode*" \
                "$I" append "$IN/good.img" --out "$OUT/o.img" --tree "$IN/dir:/x:0755"
}

@test "append: --out naming the input through a symlink (exit 1)" {
        ln -s good.img "$IN/same.img"
        bad 1 "*$IN/same.img: the output is the input*" "$I" append "$IN/good.img" --out "$IN/same.img" --add "$IN/file:/x"
}

@test "rebuild: an image with a traversal entry writes nothing" {
        printf 'f ok x\nf a/../../x evil\n' | mkcpio | gzip -c >"$IN/dots.img"
        bad 2 "*$IN/dots.img: segment 0 (gzip at offset 0)*entry name 'a/../../x'*" \
                "$I" rebuild "$IN/dots.img" --out "$OUT/o.img" --add "$IN/file:/x"
}

@test "create: --add from a FIFO among good ones writes nothing" {
        bad 2 "*--add: $IN/fifo: a FIFO, expected a regular file*" "$I" create --out "$OUT/o.img" --add "$IN/file:/a" --add "$IN/fifo:/b"
}

# --- bundle: the binaries ---

@test "bundle: a FIFO as a binary" {
        bad 2 "*$IN/fifo: a FIFO, expected a regular file*" "$I" bundle "$IN/fifo" --out "$OUT/b"
}

@test "bundle: /dev/zero as a binary" {
        bad 2 "*/dev/zero: a character device, expected a regular file*" "$I" bundle /dev/zero --out "$OUT/b"
}

@test "bundle: a file that is not ELF" {
        bad 2 "*$IN/file: not an ELF file*" "$I" bundle "$IN/file" --out "$OUT/b"
}
