"""CompressAI's scale hyperprior (``bmshj2018_hyperprior``-style ``ScaleHyperprior(N, M)``)
coding speed, run in a separate Python that has torch and compressai (not ibtf's deps).
Prints one JSON line: encode and decode ms of each repeat on a random-content image of the
given size (weights at their initialization: speed does not depend on training).

    OTHER_PYTHON benchmarks/codecs_compressai_speed.py --height 512 --width 768 --repeats 5
"""
import argparse
import json
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--height", type=int, default=512)
    parser.add_argument("--width", type=int, default=768)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--n", type=int, default=128)
    parser.add_argument("--m", type=int, default=192)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    import compressai
    import torch
    from compressai.models import ScaleHyperprior

    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    model = ScaleHyperprior(args.n, args.m).eval()
    model.update(force=True)
    x = torch.rand(1, 3, args.height, args.width)
    encode, decode = [], []
    with torch.no_grad():
        out = model.compress(x)
        model.decompress(out["strings"], out["shape"])
        for _ in range(args.repeats):
            start = time.perf_counter()
            out = model.compress(x)
            middle = time.perf_counter()
            model.decompress(out["strings"], out["shape"])
            encode.append(1000 * (middle - start))
            decode.append(1000 * (time.perf_counter() - middle))
    print(json.dumps({"codec": f"compressai ScaleHyperprior N={args.n} M={args.m}",
                      "compressai": compressai.__version__, "torch": torch.__version__,
                      "threads": args.threads, "encode_ms": encode, "decode_ms": decode}))


if __name__ == "__main__":
    main()
