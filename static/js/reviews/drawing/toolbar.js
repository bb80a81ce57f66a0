// The drawing tools beside the comment form: a tool, a colour of the palette, the text to place with
// the text tool, Undo and Clear. Buttons only (each named for screen readers); the layer draws.

import { PALETTE, TEXT_MAX, TOOLS } from "./shapes.js";

function button(label, data) {
  const node = document.createElement("button");
  node.type = "button";
  node.className = "button-small";
  node.textContent = label;
  Object.assign(node.dataset, data);
  return node;
}

export function drawingToolbar(container, getLayer) {
  const tools = document.createElement("div");
  tools.className = "drawing-tools";
  tools.setAttribute("role", "group");
  tools.setAttribute("aria-label", "Drawing tool");
  const palette = document.createElement("div");
  palette.className = "drawing-palette";
  palette.setAttribute("role", "group");
  palette.setAttribute("aria-label", "Colour");
  const text = document.createElement("input");
  text.type = "text";
  text.maxLength = TEXT_MAX;
  text.placeholder = "Text to place";
  text.setAttribute("aria-label", "Text to place with the text tool");
  text.dataset.drawingText = "";
  text.hidden = true;
  const edits = document.createElement("div");
  edits.className = "button-row";
  const undo = button("Undo", { drawingUndo: "" });
  const clear = button("Clear", { drawingClear: "" });
  edits.append(undo, clear);
  let chosenTool = TOOLS[0][0];
  let chosenColor = PALETTE[0][0];

  for (const [name, label] of TOOLS) {
    const node = button(label, { drawingTool: name });
    node.setAttribute("aria-pressed", String(name === chosenTool));
    tools.append(node);
  }
  for (const [value, label] of PALETTE) {
    const node = button("", { drawingColor: value });
    node.className = "drawing-swatch";
    node.style.backgroundColor = value; // CSSOM, not an inline style attribute: allowed by the CSP
    node.setAttribute("aria-label", label);
    node.setAttribute("aria-pressed", String(value === chosenColor));
    palette.append(node);
  }
  container.replaceChildren(tools, palette, text, edits);

  function apply() {
    const layer = getLayer();
    if (!layer) {
      return;
    }
    layer.setTool(chosenTool);
    layer.setColor(chosenColor);
    layer.setText(text.value);
  }

  container.addEventListener("click", (event) => {
    const target = event.target.closest("button");
    if (!target) {
      return;
    }
    if (target.dataset.drawingTool) {
      chosenTool = target.dataset.drawingTool;
      for (const node of tools.children) {
        node.setAttribute("aria-pressed", String(node.dataset.drawingTool === chosenTool));
      }
      text.hidden = chosenTool !== "text";
      if (!text.hidden) {
        text.focus();
      }
    } else if (target.dataset.drawingColor) {
      chosenColor = target.dataset.drawingColor;
      for (const node of palette.children) {
        node.setAttribute("aria-pressed", String(node.dataset.drawingColor === chosenColor));
      }
    } else if (target === undo) {
      getLayer()?.undo();
    } else if (target === clear) {
      getLayer()?.clear();
    }
    apply();
  });
  text.addEventListener("input", apply);
  text.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault(); // not the comment's Enter-posts: the text is placed by a click
    }
  });
  return { apply };
}
