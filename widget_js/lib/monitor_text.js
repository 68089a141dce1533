// Pure helpers of the training monitor's header (unit-tested with node --test).

/** States the monitor can be in (Python's TrainingMonitor.state). */
export const STATES = ["idle", "running", "stopping", "stopped", "done", "error"];

/** Width of the progress bar, as a CSS percentage, from a fraction (clamped to 0..1; NaN -> 0). */
export function progressPercent(fraction) {
  const value = Number(fraction);
  if (!Number.isFinite(value)) return "0%";
  return `${(Math.min(1, Math.max(0, value)) * 100).toFixed(1)}%`;
}

/** Text of the Stop button for a state. */
export function stopLabel(state) {
  if (state === "stopping") return "Stopping…";
  if (state === "stopped") return "Stopped";
  return "■ Stop";
}

/** Short human label of a state (the badge next to the progress text). */
export function stateLabel(state) {
  const labels = {
    idle: "Idle",
    running: "Training",
    stopping: "Stopping",
    stopped: "Stopped",
    done: "Done",
    error: "Error",
  };
  return labels[state] ?? String(state);
}
