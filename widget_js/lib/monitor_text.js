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

/**
 * The columns of row-major rows (each row: the epoch, then one value per curve).
 * @param {ArrayLike<number>} rows
 * @param {number} width values per row
 * @returns {Float64Array[]} `width` columns
 */
export function columns(rows, width) {
  if (!(width > 0) || rows.length % width !== 0) {
    throw new RangeError(`${rows.length} values are not whole rows of ${width}`);
  }
  const n = rows.length / width;
  const out = Array.from({ length: width }, () => new Float64Array(n));
  for (let i = 0; i < n; i++) for (let j = 0; j < width; j++) out[j][i] = rows[i * width + j];
  return out;
}

/**
 * A curve's points after new ones that start at index `start`: the first `start` points are kept,
 * the new ones replace whatever followed.  Null when `start` is past the points held (a gap: the
 * page must ask for the epochs it lacks).
 * @param {ArrayLike<number> | null | undefined} x
 * @param {ArrayLike<number> | null | undefined} y
 * @param {number} start
 * @param {ArrayLike<number>} newX
 * @param {ArrayLike<number>} newY
 * @returns {{x: Float64Array, y: Float64Array} | null}
 */
export function appendPoints(x, y, start, newX, newY) {
  const held = Math.min(x?.length ?? 0, y?.length ?? 0);
  if (!Number.isInteger(start) || start < 0 || start > held) return null;
  const outX = new Float64Array(start + newX.length);
  const outY = new Float64Array(start + newY.length);
  for (let i = 0; i < start; i++) {
    outX[i] = x[i];
    outY[i] = y[i];
  }
  outX.set(newX, start);
  outY.set(newY, start);
  return { x: outX, y: outY };
}

/**
 * How late the page draws Python's updates, in seconds.  The two clocks may differ by a constant,
 * so each delay (drawn at `nowMs`, sent at `sentAtSeconds` by Python's clock) is taken relative to
 * the smallest delay seen so far: that of an update drawn at once.
 */
export class LagMeter {
  #least = Number.POSITIVE_INFINITY;

  lag(sentAtSeconds, nowMs) {
    const delay = nowMs / 1000 - Number(sentAtSeconds);
    if (!Number.isFinite(delay)) return 0;
    this.#least = Math.min(this.#least, delay);
    return delay - this.#least;
  }
}
