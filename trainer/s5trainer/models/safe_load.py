"""Reading checkpoints from elsewhere without running code from them.

A Lightning ``.ckpt`` is a pickle: besides the tensors it holds hyper-parameters, callback and
loop states — arbitrary Python objects, and unpickling an object can call any function the file
names. ``torch.load(weights_only=True)`` refuses such files (torch >= 2.6 does so by default, so
official checkpoints fail to load there), and torch 1.x's weights-only reader cannot even read a
Python float. Neither is what an importer needs.

:func:`load_inert` unpickles with an allow-list: tensors, storages, dtypes, ``OrderedDict`` and
plain containers are rebuilt for real; every other global the file names becomes an *inert
placeholder* class that only records its arguments. Nothing from the file is executed, the
``state_dict`` comes out intact, and the names of the replaced objects are reported
(``placeholders``) so the user sees what was ignored.
"""
from __future__ import annotations

import pickle
import types

import torch

# Globals rebuilt for real: what tensors and state dicts are made of. Nothing here runs
# arbitrary code: each is a constructor of plain data.
_ALLOWED = {
    ("collections", "OrderedDict"),
    ("torch._utils", "_rebuild_tensor"),
    ("torch._utils", "_rebuild_tensor_v2"),
    ("torch._utils", "_rebuild_tensor_v3"),
    ("torch._utils", "_rebuild_parameter"),
    ("torch._utils", "_rebuild_parameter_with_state"),
    ("torch", "Size"),
    ("builtins", "set"),
    ("builtins", "frozenset"),
    ("builtins", "slice"),
    ("builtins", "complex"),
}


class Inert:
    """Stands in for an object the file wanted built; keeps its data, has no behaviour."""
    qualname = "?"

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs

    def __setstate__(self, state):
        self.state = state

    def __setitem__(self, key, value):        # dict subclasses (SETITEMS)
        self.__dict__.setdefault("items", {})[key] = value

    def append(self, value):                   # list subclasses (APPENDS)
        self.__dict__.setdefault("list", []).append(value)

    def extend(self, values):
        for v in values:
            self.append(v)

    def __repr__(self):
        return f"<inert {self.qualname}>"


class _Unpickler(pickle.Unpickler):
    placeholders: set  # set per load

    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        if module == "torch" and isinstance(getattr(torch, name, None), torch.dtype):
            return getattr(torch, name)
        qual = f"{module}.{name}"
        self.placeholders.add(qual)
        return type(f"Inert[{qual}]", (Inert,), {"qualname": qual})


def _pickle_module(placeholders: set):
    class Unpickler(_Unpickler):
        pass
    Unpickler.placeholders = placeholders
    mod = types.ModuleType("s5_inert_pickle")
    mod.Unpickler = Unpickler
    mod.load = lambda f, **kw: Unpickler(f, **kw).load()
    mod.__name__ = "s5_inert_pickle"
    return mod


def load_inert(path, map_location="cpu"):
    """-> (object, sorted list of replaced global names). Raises what torch.load raises."""
    placeholders: set = set()
    module = _pickle_module(placeholders)
    if int(torch.__version__.split(".")[0]) >= 2:
        obj = torch.load(path, map_location=map_location, pickle_module=module, weights_only=False)
    else:
        # torch 1.13's load() replaces any pickle_module by pickle when weights_only is False;
        # its own readers take one, so call them (the same two paths load() takes).
        from torch import serialization as ser
        with ser._open_file_like(path, "rb") as f:
            if ser._is_zipfile(f):
                with ser._open_zipfile_reader(f) as z:
                    obj = ser._load(z, map_location, module, encoding="utf-8")
            else:
                obj = ser._legacy_load(f, map_location, module, encoding="utf-8")
    return obj, sorted(placeholders)
