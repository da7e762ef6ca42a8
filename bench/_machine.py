"""What the benchmark tables say about the machine they were measured on."""
import pathlib
import platform


def cpu_model():
    """The CPU's model name, family and model numbers and widest vector unit: a virtual
    machine's name alone ("Intel Xeon Processor") does not tell AVX2 from AVX-512."""
    try:
        fields = {}
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())
        flags = set(fields.get("flags", "").split())
        vector = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"
        return (f"{fields.get('model name', 'unknown CPU')} (family {fields.get('cpu family', '?')} "
                f"model {fields.get('model', '?')}, {vector})")
    except OSError:
        pass
    return platform.processor() or "unknown CPU"
