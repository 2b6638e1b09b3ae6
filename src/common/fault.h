#pragma once

namespace sluice {

// Fault injection for crash tests, compiled into the product and inert unless the
// environment variable SLUICE_FAULT names a point: "NAME" kills the process with
// SIGKILL the first time it reaches point NAME, "NAME:N" the N-th time. The points
// are listed in docs/exactly-once.md (each step of the checkpoint protocol). Reading
// the variable happens once; an unset variable costs one branch per call.
void FaultPoint(const char* name);

}  // namespace sluice
