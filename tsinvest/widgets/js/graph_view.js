// The explorer's graph view: an anywidget around sigma.js (WebGL) and graphology.
//
// One renderer per view for the widget's whole life: when Python sends new
// nodes/edges (a filter change or a pivot), the graph is replaced in place and
// sigma redraws it; no new canvas or WebGL context is created. Selecting a node
// from Python (Find account) highlights it and moves the camera onto it.
// Labels are drawn on a canvas (text, never HTML), so hostile usernames cannot
// inject markup. Build: see package.json (npm ci && npm run build).
import Graph from "graphology";
import Sigma from "sigma";

const FADED = "#e6e6e6";

function loadGraph(graph, model) {
  const nodes = model.get("nodes");
  const edges = model.get("edges");
  graph.clear();
  for (let i = 0; i < nodes.key.length; i++) {
    graph.addNode(nodes.key[i], {
      label: nodes.label[i], x: nodes.x[i], y: nodes.y[i], size: nodes.size[i], color: nodes.color[i],
    });
  }
  for (let i = 0; i < edges.source.length; i++) {
    graph.addEdge(edges.source[i], edges.target[i], { size: edges.size[i], color: edges.color[i] });
  }
}

function render({ model, el }) {
  const container = document.createElement("div");
  container.className = "tsinvest-graph-canvas";
  container.style.height = `${model.get("height")}px`;
  container.style.width = "100%";
  el.appendChild(container);
  el.classList.add("tsinvest-graph-view");
  // The view sits in a flex box: without a width of its own it would shrink to nothing.
  el.style.width = "100%";
  el.style.flex = "1 1 auto";

  const graph = new Graph({ type: "undirected", multi: false });
  let selected = null;
  let neighbours = new Set();

  const renderer = new Sigma(graph, container, {
    allowInvalidContainer: true,
    renderEdgeLabels: false,
    labelRenderedSizeThreshold: 8,
    zIndex: true,
    // Nodes keep their size on screen when zooming in, so a dense ring spreads out instead of merging.
    zoomToSizeRatioFunction: () => 1,
    nodeReducer: (node, data) => {
      if (selected === null || !graph.hasNode(selected)) return data;
      if (node === selected) return { ...data, highlighted: true, forceLabel: true, zIndex: 2 };
      if (neighbours.has(node)) return { ...data, zIndex: 1 };
      return { ...data, color: FADED, label: "", zIndex: 0 };
    },
    edgeReducer: (edge, data) => {
      if (selected === null || !graph.hasNode(selected)) return data;
      return graph.hasExtremity(edge, selected) ? data : { ...data, color: FADED };
    },
  });

  // State the page exposes for tests and assistive tools: counts and selection, as text.
  function publish() {
    el.dataset.nodes = String(graph.order);
    el.dataset.edges = String(graph.size);
    el.dataset.selected = selected === null ? "" : selected;
    el.dataset.version = String(model.get("version"));
  }

  function focus(animate) {
    neighbours = selected !== null && graph.hasNode(selected) ? new Set(graph.neighbors(selected)) : new Set();
    renderer.refresh();
    publish();
    if (selected === null || !graph.hasNode(selected)) return;
    const position = renderer.getNodeDisplayData(selected);
    if (!position) return;
    const target = { x: position.x, y: position.y, ratio: Math.min(renderer.getCamera().ratio, 0.35) };
    if (animate) renderer.getCamera().animate(target, { duration: 300 });
    else renderer.getCamera().setState(target);
    el.dataset.cameraRatio = String(target.ratio);
  }

  function onData() {
    loadGraph(graph, model);
    renderer.getCamera().setState({ x: 0.5, y: 0.5, ratio: 1, angle: 0 });
    el.dataset.cameraRatio = "1";
    selected = model.get("selected_node");
    focus(false);
  }

  function onSelected() {
    selected = model.get("selected_node");
    focus(true);
  }

  renderer.on("clickNode", ({ node }) => {
    model.set("selected_node", node);
    model.save_changes();
  });
  renderer.on("clickStage", () => {
    if (selected === null) return;
    model.set("selected_node", null);
    model.save_changes();
  });

  model.on("change:version", onData);
  model.on("change:selected_node", onSelected);
  model.on("change:height", () => {
    container.style.height = `${model.get("height")}px`;
    renderer.resize();
  });
  onData();

  return () => {
    model.off("change:version", onData);
    model.off("change:selected_node", onSelected);
    renderer.kill();
  };
}

export default { render };
