// Binary search over a sorted sequence: the last index whose key is at or before `value`, or -1
// when none is (transcripts and comparison axes run to thousands of entries).

export function lastAtOrBefore(count, keyAt, value) {
  let low = 0;
  let high = count - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (keyAt(middle) <= value) {
      found = middle;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found;
}
