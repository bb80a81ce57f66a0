// Waiting between tries: exponential backoff with jitter, so many panels do not retry in step.

export function backoffSeconds(attempt, { first = 1, most = 30 } = {}) {
  const base = Math.min(most, first * 2 ** attempt);
  return base * (0.75 + Math.random() * 0.5);
}

export function sleep(seconds, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, seconds * 1000);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
