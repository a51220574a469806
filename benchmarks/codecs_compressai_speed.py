"""CompressAI's scale hyperprior (``bmshj2018_hyperprior``-style ``ScaleHyperprior(N, M)``)
coding speed, run in a separate Python that has torch and compressai (not ibtf's deps).
Prints one JSON line: encode and decode ms of each repeat (wall and process CPU time) on the
given image (a .npy uint8 array, ``--image``) or a random-content image of the given size
(weights at their initialization: speed does not depend on training), and the median ms of
the analysis transform ``g_a`` and the synthesis transform ``g_s`` alone, so that the rest
(hyper transforms and range coding) can be read off.

The comparison Python (kept apart from ibtf's environment; CPU-only torch). torchvision has no
CPU wheel matching torch 2.13.0+cpu on the index and compressai reads it only to list
transforms, so a two-file stub package stands in for it:

    python3.11 -m venv cai && cai/bin/pip install "torch==2.13.0+cpu" && \\
    cai/bin/pip install --no-deps compressai==1.2.8 torch-geometric pytorch-msssim \\
        "numpy<2" einops scipy tqdm typing-extensions requests urllib3 idna certifi xxhash \\
        psutil "pandas==2.2.3" python-dateutil six pytz tzdata pillow && \\
    mkdir cai/lib/python3.11/site-packages/torchvision && \\
    touch cai/lib/python3.11/site-packages/torchvision/{__init__,transforms}.py

    cai/bin/python benchmarks/codecs_compressai_speed.py --height 512 --width 768 --repeats 5
"""
import argparse
import json
import statistics
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--height", type=int, default=512)
    parser.add_argument("--width", type=int, default=768)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--n", type=int, default=128)
    parser.add_argument("--m", type=int, default=192)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--image", default=None,
                        help=".npy uint8 [H, W, 3] image to code (default: uniform noise)")
    args = parser.parse_args()

    import compressai
    import torch
    from compressai.models import ScaleHyperprior

    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    model = ScaleHyperprior(args.n, args.m).eval()
    model.update(force=True)
    if args.image:
        import numpy as np
        array = np.load(args.image)
        x = torch.from_numpy(array.astype(np.float32) / 255.0).permute(2, 0, 1)[None]
    else:
        x = torch.rand(1, 3, args.height, args.width)
    encode, decode, encode_cpu, decode_cpu, g_a, g_s = [], [], [], [], [], []
    with torch.no_grad():
        out = model.compress(x)
        model.decompress(out["strings"], out["shape"])
        for _ in range(args.repeats):
            start, start_cpu = time.perf_counter(), time.process_time()
            out = model.compress(x)
            middle, middle_cpu = time.perf_counter(), time.process_time()
            model.decompress(out["strings"], out["shape"])
            encode.append(1000 * (middle - start))
            decode.append(1000 * (time.perf_counter() - middle))
            encode_cpu.append(1000 * (middle_cpu - start_cpu))
            decode_cpu.append(1000 * (time.process_time() - middle_cpu))
        for _ in range(args.repeats):
            start = time.perf_counter()
            y = model.g_a(x)
            middle = time.perf_counter()
            model.g_s(torch.round(y))
            g_a.append(1000 * (middle - start))
            g_s.append(1000 * (time.perf_counter() - middle))
    print(json.dumps({"codec": f"compressai ScaleHyperprior N={args.n} M={args.m}",
                      "compressai": compressai.__version__, "torch": torch.__version__,
                      "threads": args.threads, "encode_ms": encode, "decode_ms": decode,
                      "encode_cpu_ms": encode_cpu, "decode_cpu_ms": decode_cpu,
                      "bytes": sum(len(s[0]) for s in out["strings"]),
                      "g_a_ms": statistics.median(g_a), "g_s_ms": statistics.median(g_s)}))


if __name__ == "__main__":
    main()
