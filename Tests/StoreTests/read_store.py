"""Reads a seedlora store with h5py only and prints what it finds as JSON (for StoreH5pyTests).

Usage: python3 read_store.py STORE/index.h5

Numbers are printed as the hex of their little-endian bytes, so the Swift side can check them bit
for bit; text is printed as h5py returns it (attributes as `str`, string datasets through asstr()).
"""
import json
import sys

import h5py
import numpy as np


def attribute(value):
    if isinstance(value, str):
        return {"type": "str", "value": value}
    if isinstance(value, bytes):
        return {"type": "bytes", "value": value.decode("utf-8", "replace")}
    if isinstance(value, np.ndarray):
        return {"type": "array", "dtype": str(value.dtype), "value": [attribute(v) for v in value.tolist()]}
    if isinstance(value, (np.integer, int)):
        return {"type": type(value).__name__, "value": str(int(value))}
    return {"type": type(value).__name__, "value": repr(value)}


def attributes(obj):
    return {name: attribute(value) for name, value in obj.attrs.items()}


def dataset(ds):
    out = {
        "object": "dataset",
        "dtype": str(ds.dtype),
        "shape": list(ds.shape),
        "chunks": list(ds.chunks) if ds.chunks else None,
        "compression": ds.compression,
        "shuffle": ds.shuffle,
        "labels": [dim.label for dim in ds.dims],
        "attrs": attributes(ds),
    }
    string_info = h5py.check_string_dtype(ds.dtype)
    if string_info is not None:
        out["encoding"] = string_info.encoding
        text = ds.asstr()[()]
        out["text"] = text if ds.shape == () else [str(t) for t in text.tolist()]
        if ds.shape == ():
            out["raw_type"] = type(ds[()]).__name__
    elif ds.dtype == np.bool_:
        out["bool"] = bool(ds[()]) if ds.shape == () else [bool(b) for b in ds[()]]
    else:
        out["hex"] = np.ascontiguousarray(ds[()]).astype(ds.dtype.newbyteorder("<")).tobytes().hex()
    return out


def node(obj):
    if isinstance(obj, h5py.Dataset):
        return dataset(obj)
    return {
        "object": "group",
        "attrs": attributes(obj),
        "order": list(obj.keys()),
        "members": {name: node(obj[name]) for name in obj.keys()},
    }


def links(group, prefix=""):
    """Flattens a cell or latest group: value name -> link and the object it leads to."""
    found = {}
    for name in group.keys():
        link = group.get(name, getlink=True)
        full = prefix + name
        if isinstance(link, h5py.ExternalLink):
            found[full] = {"link": "external", "file": link.filename, "path": link.path, "node": node(group[name])}
        elif isinstance(group[name], h5py.Group) and group[name].attrs.get("seedlora_kind") == "group":
            found.update(links(group[name], full + "/"))
        elif name.startswith("."):
            continue  # long provenance text, read with the cell
        else:
            found[full] = {"link": type(link).__name__, "node": node(group[name])}
    return found


def main(path):
    with h5py.File(path, "r") as f:
        cells = {}
        for name in f["cells"].keys():
            group = f["cells"][name]
            long_text = {key[1:]: group[key].asstr()[()] for key in group.keys() if key.startswith(".")}
            cells[name] = {"attrs": attributes(group), "long_text": long_text, "values": links(group)}
        result = {
            "root_attrs": attributes(f),
            "cell_order": list(f["cells"].keys()),
            "cells": cells,
            "latest": links(f["latest"]),
            "manifest": node(f["seedlora/manifest"]),
            "h5py": h5py.version.version,
            "hdf5": h5py.version.hdf5_version,
        }
    json.dump(result, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1])
