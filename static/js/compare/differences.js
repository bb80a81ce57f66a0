// The list of differences beside the players: one item per difference, a button that seeks to it,
// and the words the transcripts changed there.

import { findingSentence } from "./findings.js";
import { kindClasses, kindLabel, spanText } from "./format.js";

function swatch(segment) {
  const element = document.createElement("span");
  element.className = `legend-swatch ${kindClasses(segment)}`;
  element.setAttribute("aria-hidden", "true");
  return element;
}

function wordsParagraph(words) {
  // Built from text nodes: transcript words are untrusted.
  const paragraph = document.createElement("p");
  paragraph.className = "difference-words";
  for (const [who, list, tag] of [["A", words.removed, "del"], ["B", words.added, "ins"]]) {
    if (!list.length) {
      continue;
    }
    const part = document.createElement("span");
    const changed = document.createElement(tag);
    changed.textContent = list.join(" ");
    part.append(`${who} says `, changed);
    paragraph.append(part, " ");
  }
  return paragraph;
}

function differenceItem(segment, number, changes, config) {
  const item = document.createElement("li");
  item.className = `difference difference-${segment.kind}`;
  item.dataset.difference = String(number);
  const main = document.createElement("button");
  main.type = "button";
  main.className = "difference-main";
  main.dataset.seekDifference = String(number);
  const kind = document.createElement("span");
  kind.className = "difference-kind";
  kind.append(swatch(segment), kindLabel(segment, config.kind_labels));
  main.append(kind);
  if (segment.severity) {
    const badge = document.createElement("span");
    badge.className = `badge ${config.severity_badges[segment.severity] || ""}`;
    badge.textContent = segment.severity;
    main.append(" ", badge);
  }
  const times = document.createElement("span");
  times.className = "difference-times";
  const onA = document.createElement("span");
  onA.textContent = `A ${spanText(segment.a_start, segment.a_end)}`;
  const onB = document.createElement("span");
  onB.textContent = `B ${spanText(segment.b_start, segment.b_end)}`;
  times.append(onA, " ", onB);
  main.append(" ", times);
  item.append(main);
  const sentence = findingSentence(segment, config.b.duration);
  if (sentence) {
    // Text nodes only: on-screen text read from the video is untrusted.
    const finding = document.createElement("p");
    finding.className = "difference-finding";
    finding.dataset.finding = "";
    finding.textContent = sentence;
    item.append(finding);
  }
  const words = changes[String(number)];
  if (words && (words.removed.length || words.added.length)) {
    item.append(wordsParagraph(words));
  }
  return item;
}

export function renderDifferences(list, data, config) {
  list.replaceChildren(
    ...data.segments.map((segment, number) => differenceItem(segment, number, data.word_changes || {}, config)),
  );
}
