"""Tensor names in qforge-net-run output folders, for the test scripts here (lib/io/input_list.h)."""


def tensor_file_name(name: str) -> str:
    """The file stem of a tensor: '%', '/', ':', '\\' and control characters are percent-encoded."""
    return "".join(f"%{ord(c):02X}" if c in "%/:\\" or ord(c) < 0x20 else c for c in name)
