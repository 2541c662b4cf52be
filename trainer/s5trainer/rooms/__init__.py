"""FOA room simulation: image-source shoebox rooms, 4-mic arrays, room banks and user IRs."""
from .arrays import FOA, ArraySpec, parse_array
from .bank import RoomBank, build_bank
from .simulate import Room, SimulatedIR, design_room, simulate_ir

__all__ = ["FOA", "ArraySpec", "parse_array", "RoomBank", "build_bank", "Room", "SimulatedIR",
           "design_room", "simulate_ir"]
