# ruff: noqa: E501 - the scripts read best unbroken
"""The simulated shell and applets against the real busybox on the same files.

Each script runs twice: through `/bin/busybox sh -c` in a temporary directory, and through the
simulator on a tree built from that very directory (same names, modes, owners and mtimes).
stdout, stderr and the exit code must be identical. Scripts use relative paths only and never
sleep for real (they do not sleep at all).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from layerlab.engine.sim.programs.executable import executable_data
from layerlab.engine.sim.programs.process import ProcessContext, run_process
from layerlab.engine.sim.store.fs import Tree, directory, regular, symlink

BUSYBOX = "/bin/busybox"
pytestmark = pytest.mark.skipif(not os.path.exists(BUSYBOX), reason="needs /bin/busybox")

ENV = {"PATH": "/bin:/usr/bin", "HOME": "/nonexistent", "LC_ALL": "C"}
WORKDIR = "/work"

SCRIPTS = [
    # words, quoting, variables
    "echo hello world",
    "echo 'single  quoted'   \"double  quoted\"  back\\ slash",
    'x=abc; echo "$x" ${x} "${x}def" \'$x\'',
    'echo ${unset:-default} ${unset-other}; e=; echo "[${e:-empty}]" "[${e-set}]"',
    "x=abc.tar.gz; echo ${x%.*} ${x%%.*} ${x#*.} ${x##*.} ${#x}",
    "echo $((1 + 2 * 3)) $((10 / 3)) $((10 % 3)) $((2 ** 8)) $(( (1+2) * 3 ))",
    "i=5; echo $((i += 2)) $i $((i > 3 && i < 10)) $((i == 7 ? 1 : 0))",
    "echo $(echo inner) `echo back` \"$(echo 'a  b')\"",
    'a=" x  y "; for w in $a; do echo "[$w]"; done; echo "[$a]"',
    'set -- one \'two three\' four; echo $#; for a in "$@"; do echo "<$a>"; done',
    'set -- a b c; shift; echo $1 $#; echo "$*"',
    'IFS=:; v=a:b::c; for p in $v; do echo "[$p]"; done',
    'echo a\\\nb; echo "line\\\ncontinued"',
    # control flow
    "true && echo and; false || echo or; false && echo no; true || echo no2; echo end",
    "if true; then echo yes; else echo no; fi; if false; then echo a; elif true; then echo b; fi",
    "for i in 1 2 3; do echo item $i; done",
    "i=0; while [ $i -lt 3 ]; do i=$((i+1)); echo $i; done; until [ $i -eq 0 ]; do i=$((i-1)); done; echo $i",
    "for i in 1 2 3 4 5; do if [ $i = 2 ]; then continue; fi; if [ $i = 4 ]; then break; fi; echo $i; done",
    "case hello.txt in *.md) echo md;; *.txt) echo txt;; *) echo other;; esac",
    "case x in a|b) echo ab;; [xyz]) echo xyz;; esac; case '' in '') echo empty;; esac",
    'f() { echo "args: $# $1"; return 3; }; f a b; echo status $?',
    "f() { local v=inner; echo $v; }; v=outer; f; echo $v",
    "{ echo grouped; echo two; } | wc -l",
    '(x=sub; echo $x); echo "[$x]"',
    "! false; echo $?; ! true; echo $?",
    "exit 3",
    "echo before; exit 300",
    "set -e; echo one; false; echo never",
    "false; echo $?; true; echo $?",
    # errors of the shell itself
    "nosuch_command; echo $?",
    "echo a; fi",
    "if true; then",
    "echo 'unterminated",
    "cd nosuchdir; echo $?",
    "echo $((1/0))",
    "x=1; readonly x; x=2; echo after",
    "echo ${x?is required}",
    "exit abc",
    "case a in",
    "for x in; do; done",
    "(echo sub",
    # redirections
    "echo data > out.txt; cat out.txt; echo more >> out.txt; cat out.txt",
    "cat < hello.txt",
    "cat nosuch 2>&1; echo $?",
    "cat nosuch 2>/dev/null; echo status $?",
    "echo to-stderr >&2",
    "cat <nosuch; echo $?",
    "echo x > nodir/file; echo $?",
    "echo x > data; echo $?",
    'read a b <<EOF\nfirst second third\nEOF\necho "[$a] [$b]"',
    "cat <<'EOF'\nliteral $HOME `x`\nEOF",
    "n=0; while read line; do n=$((n+1)); done < data/words.txt; echo $n",
    # applets: text
    "echo -n no-newline; echo; echo -e 'tab\\there' 'new\\nline'; echo -ne 'x\\c'; echo y",
    "printf '%s-%d|%5s|%-4s|%03d\\n' a 7 right left 9; printf '%x %o %c\\n' 255 8 zed",
    "printf '%s\\n' a b c; printf 'no args\\n'",
    "printf '%d\\n' notanumber; echo $?",
    "cat hello.txt data/numbers.txt",
    "cat -n hello.txt",
    "head -n 2 data/numbers.txt; head -3 data/words.txt; tail -n 2 data/numbers.txt; tail -n +9 data/numbers.txt",
    "head -n x hello.txt; echo $?",
    "wc data/words.txt; wc -l data/words.txt; wc -w < data/words.txt; wc -c hello.txt data/words.txt",
    "sort data/words.txt; sort -r data/words.txt | head -2; sort -n data/unsorted.txt",
    "sort data/words.txt | uniq -c; sort -u data/words.txt",
    "cut -d: -f1,3 data/colon.txt; cut -c1-3 hello.txt",
    "echo Hello World | tr a-z A-Z; echo hello | tr -d l; echo aaabbb | tr -s ab",
    "echo hello | tee copy.txt; cat copy.txt",
    "seq 3; seq 2 4; seq 1 2 7; seq -s , 3",
    "yes | head -n 3; yes no | head -n 2",
    "basename /a/b/c.txt; basename /a/b/c.txt .txt; dirname /a/b/c.txt; dirname file",
    "expr 2 + 3; expr 7 \\* 6; expr 10 / 3; expr length hello; expr 3 = 4; echo $?",
    "expr 1 + a; echo $?",
    # grep and sed
    "grep apple data/words.txt; grep -c a data/words.txt; grep -n an data/words.txt",
    "grep -i APPLE data/words.txt; grep -v a data/words.txt; grep -q cherry data/words.txt && echo found",
    "grep nothing data/words.txt; echo $?; grep x nosuch; echo $?",
    "grep -r needle data; grep -l apple data/words.txt hello.txt",
    "grep '^b' data/words.txt; grep 'a\\(n\\)' data/words.txt; grep -E 'ap+le|kiwi' data/words.txt",
    "sed 's/a/A/' data/words.txt; sed 's/a/A/g' data/words.txt | head -2",
    "sed -n '2p' data/words.txt; sed '1d' data/words.txt | head -2; sed -n '/an/p' data/words.txt",
    "sed 's/\\(b\\)\\(a\\)/\\2\\1/' data/words.txt; echo hello | sed 's/l*/X/'",
    "cp hello.txt edit.txt; sed -i 's/Hello/Bye/' edit.txt; cat edit.txt",
    # applets: files
    "ls; ls data; ls -a sub",
    "ls -1 data sub",
    "ls nosuch; echo $?",
    "ls -R sub",
    "ls -l hello.txt data/words.txt",
    "mkdir newdir && ls -d newdir; mkdir newdir; echo $?; mkdir -p a/b/c && ls a/b",
    "mkdir x/y; echo $?",
    "touch new.txt; ls new.txt; rm new.txt; ls new.txt; echo $?",
    "rm nosuch; echo $?; rm -f nosuch; echo $?; rm data; echo $?",
    "rmdir sub; echo $?; rmdir nosuch; echo $?",
    "cp hello.txt c1.txt && cat c1.txt; cp nosuch x; echo $?; cp data x; echo $?",
    "cp -r data datacopy && ls datacopy",
    "mv hello.txt moved.txt && cat moved.txt && ls hello.txt; mv nosuch x; echo $?",
    "ln -s hello.txt link.txt && cat link.txt && ls -l link.txt | cut -c1-10; ln -s x link.txt; echo $?",
    "chmod 600 hello.txt && ls -l hello.txt | cut -c1-10; chmod u+x,g+w hello.txt && ls -l hello.txt | cut -c1-10",
    "find data -name '*.txt' | sort; find sub -type d | sort",
    "test -f hello.txt && echo file; test -d data && echo dir; [ -e nosuch ] || echo missing",
    "[ abc = abc ]; echo $?; [ 3 -gt 5 ]; echo $?; [ -z '' ] && [ -n x ] && echo strings",
    "test 1 -eq a; echo $?",
    "[ a = a; echo $?",
    "echo *.txt; echo data/*; echo nomatch*; echo 'quoted*'",
    "echo d*/n*",
    'for f in data/*.txt; do echo "file: $f"; done',
    "true; echo $?; false; echo $?",
    "sleep x; echo $?",
    "env | grep -c ^PATH=; printenv HOME",
    "x=1 sh -c 'echo inner $x'; echo outer $x",
    "export V=exported; sh -c 'echo $V'",
    "sh -c 'exit 7'; echo $?",
    "echo 'echo from script $1' > s.sh; sh s.sh arg",
    "printf 'echo line1\\nnosuch_in_script\\necho line3\\n' > t.sh; sh t.sh; echo $?",
    "eval 'echo evaluated'; cmd=echo; $cmd via variable",
    "trap 'echo bye' EXIT; echo hi",
    "echo $((0x10)) $((010)) $((-5 / 2)) $((7 % -3))",
    "kill; echo $?",
    "type echo cd",
    "which sh > /dev/null; echo $?",
    "du -s data | cut -f2",
    'cat data/colon.txt | while IFS=: read a b c; do echo "$c-$a"; done',
    "echo one two three | xargs -n 1 echo item",
    "echo $(( 3 > 2 )) $(( 2 >= 3 )) $(( !0 )) $(( ~0 )) $(( 1 << 4 ))",
]


def _make_fixture(root: Path) -> None:
    (root / "data").mkdir()
    (root / "sub" / "inner").mkdir(parents=True)
    (root / "sub" / ".hidden").write_text("hidden\n")
    (root / "sub" / "inner" / "deep.txt").write_text("deep needle\n")
    (root / "hello.txt").write_text("Hello, LayerLab!\n")
    (root / "data" / "numbers.txt").write_text("".join(f"{n}\n" for n in range(1, 11)))
    (root / "data" / "words.txt").write_text("banana\napple\ncherry\nbanana\nkiwi\napple\n")
    (root / "data" / "unsorted.txt").write_text("10\n9\n100\n1\n")
    (root / "data" / "colon.txt").write_text("root:x:0\nuser:y:1000\n")
    (root / "data" / "needle.txt").write_text("a needle here\n")


def _tree_from(root: Path) -> Tree:
    tree: Tree = {
        "/bin": directory(),
        "/bin/busybox": regular(executable_data("busybox"), mode=0o755),
        "/etc": directory(),
        "/etc/passwd": regular(Path("/etc/passwd").read_bytes()),
        "/etc/group": regular(Path("/etc/group").read_bytes()),
        WORKDIR: directory(),
    }
    for name in ("sh", "ls", "echo", "cat"):
        tree[f"/bin/{name}"] = tree["/bin/busybox"]
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        target = WORKDIR + "/" + path.relative_to(root).as_posix()
        common = {"uid": info.st_uid, "gid": info.st_gid, "mtime": int(info.st_mtime)}
        if path.is_symlink():
            tree[target] = symlink(os.readlink(path), int(info.st_mtime))
        elif path.is_dir():
            tree[target] = directory(info.st_mode & 0o7777, **common)
        else:
            tree[target] = regular(path.read_bytes(), info.st_mode & 0o7777, **common)
    return tree


def _run_real(script: str, cwd: Path) -> tuple[bytes, bytes, int]:
    # argv[0] "/bin/sh", as a container's `sh -c` resolves it: ash names itself by it.
    done = subprocess.run(
        ["/bin/sh", "-c", script], executable=BUSYBOX, cwd=cwd, env=ENV, capture_output=True,
        timeout=20, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    return done.stdout, done.stderr, done.returncode


def _run_sim(script: str, tree: Tree, now: float) -> tuple[bytes, bytes, int]:
    context = ProcessContext(tree=tree, env=dict(ENV), cwd=WORKDIR, now=now, hostname="sim")
    result = run_process(["/bin/sh", "-c", script], context)
    stdout = b"".join(data for fd, data, _ in result.output if fd == 1)
    stderr = b"".join(data for fd, data, _ in result.output if fd == 2)
    return stdout, stderr, result.exit_code


def _compare(script: str, tmp_path: Path) -> tuple[tuple, tuple]:
    root = tmp_path / "work"
    root.mkdir()
    _make_fixture(root)
    tree = _tree_from(root)
    now = time.time()
    real = _run_real(script, root)
    sim = _run_sim(script, tree, now)
    return real, sim


@pytest.mark.parametrize("script", SCRIPTS)
def test_same_as_busybox(script: str, tmp_path: Path) -> None:
    real, sim = _compare(script, tmp_path)
    assert sim == real


def test_enough_scripts_and_match_rate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert len(SCRIPTS) >= 60
    matched = 0
    for index, script in enumerate(SCRIPTS):
        work = tmp_path / str(index)
        work.mkdir()
        real, sim = _compare(script, work)
        matched += real == sim
        shutil.rmtree(work)
    with capsys.disabled():
        print(f"\nbusybox differential: {matched}/{len(SCRIPTS)} scripts match")
    assert matched / len(SCRIPTS) >= 0.9
