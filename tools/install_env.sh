#!/usr/bin/env bash
# Create or complete the project's virtual environment: torch, mmcv with its
# compiled ops (built once, then reused from a wheel cache), mmengine, mmdet,
# torchreid and the test tools. Every version comes from requirements/pins.txt.
#
#   tools/install_env.sh            # venv in .venv (or $LDRLD_VENV)
#   LDRLD_WHEEL_CACHE=DIR tools/install_env.sh
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
venv=${LDRLD_VENV:-$root/.venv}
pins=$root/requirements/pins.txt
python_bin=${PYTHON:-python3.11}
command -v "$python_bin" >/dev/null 2>&1 || python_bin=python3

pin() {  # the exact version that pins.txt gives a package
    sed -n "s/^$1==\([^ ]*\).*/\1/p" "$pins"
}

if [ ! -x "$venv/bin/python" ]; then
    echo "[install] creating $venv with $($python_bin --version)"
    "$python_bin" -m venv "$venv"
fi
py=$venv/bin/python
pip_install() { "$py" -m pip install --disable-pip-version-check -q -c "$pins" "$@"; }

pip_install setuptools wheel ninja psutil
if ! "$py" -c "import torch, torchvision" >/dev/null 2>&1 \
   || [ "$("$py" -c 'import torch; print(torch.__version__.split("+")[0])')" != "$(pin torch)" ]; then
    echo "[install] torch $(pin torch), torchvision $(pin torchvision)"
    pip_install torch torchvision
fi

torch_v=$(pin torch)
mmcv_v=$(pin mmcv)
py_tag=$("$py" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')
cache=${LDRLD_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ldrld/wheels}/mmcv-$mmcv_v-torch$torch_v-$py_tag
mkdir -p "$cache"
if ! "$py" -c "import mmcv, mmcv.ops; assert mmcv.__version__ == '$mmcv_v'" >/dev/null 2>&1; then
    if ! ls "$cache"/mmcv-"$mmcv_v"-*.whl >/dev/null 2>&1; then
        echo "[install] building mmcv $mmcv_v with compiled ops into $cache (about 25 minutes on 2 cores;" \
             "a line a minute shows how many of its files are compiled)"
        # mmcv's setup.py asks for -std=c++17 but torch's headers need C++20:
        # a compiler wrapper appends -std=c++20, and the last -std wins.
        wrap=$(mktemp -d)
        printf '#!/bin/sh\nexec %s "$@" -std=c++20\n' "$(command -v g++)" > "$wrap/g++"
        chmod +x "$wrap/g++"
        tmp=$(mktemp -d "$cache/.build.XXXX")
        # pip builds under TMPDIR=$tmp, so its object files can be counted while it works
        TMPDIR=$tmp CXX=$wrap/g++ MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-2} FORCE_CUDA=0 \
            "$py" -m pip wheel --disable-pip-version-check -q --no-deps --no-build-isolation \
            -c "$pins" "mmcv==$mmcv_v" -w "$tmp" &
        build=$!
        began=$SECONDS
        last=$SECONDS
        while kill -0 "$build" 2>/dev/null; do
            sleep 5
            [ $(( SECONDS - last )) -ge 60 ] || continue
            last=$SECONDS
            done_=$(find "$tmp" -name '*.o' 2>/dev/null | wc -l)
            all_=$(find "$tmp" -path '*mmcv/ops/csrc/pytorch/*' -name '*.cpp' 2>/dev/null | wc -l)
            echo "[install] mmcv build: $done_ of $all_ files compiled after $(( (SECONDS - began) / 60 )) min"
        done
        wait "$build"
        mv "$tmp"/mmcv-*.whl "$cache"/   # a finished wheel appears whole, or not at all
        rm -rf "$tmp" "$wrap"
    fi
    pip_install --no-deps "$cache"/mmcv-"$mmcv_v"-*.whl
fi

echo "[install] this project and its extras"
pip_install --find-links "$cache" -e "$root[det,reid,cls,sweep,demo,glyphs,dev]"
"$py" - <<'PY'
import mmcv.ops, mmdet, mmengine, torch, torchreid, pycocotools  # noqa: F401
print(f"[install] ok: torch {torch.__version__}, mmcv {mmcv.__version__}, "
      f"mmengine {mmengine.__version__}, mmdet {mmdet.__version__}")
PY
