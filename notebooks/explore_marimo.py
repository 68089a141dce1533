import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import marimo as mo

    mo.md(
        """
        # Explore a map in marimo

        The map views are anywidgets, so marimo shows them through `mo.ui.anywidget`. Two views share one
        `Selection`: brush on the map (drag a rectangle) or on a plane, and both follow; the cell at the
        bottom re-runs with the rows behind the selection.

        Open it with `marimo edit notebooks/explore_marimo.py` (install `somnium-som[marimo]`).
        """
    )
    return (mo,)


@app.cell
def _():
    from somnium import SOM
    from somnium.datasets import load_penguins
    from somnium.widgets import ComponentPlanes, MapView, Selection

    features = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
    df = load_penguins()
    model = SOM(mapsize="auto", lattice="hexa", random_state=0).fit_auto(df[features])
    return ComponentPlanes, MapView, Selection, df, model


@app.cell
def _(ComponentPlanes, MapView, Selection, df, mo, model):
    selection = Selection(model.lattice_.n_nodes)
    # The selection lives in its own widget model; a marimo state mirrors it so that the cells which read
    # it re-run after every brush.
    get_nodes, set_nodes = mo.state([])
    selection.observe(lambda change: set_nodes(list(change["new"])), "nodes")
    map_view = mo.ui.anywidget(MapView(model, df, selection=selection, color="hits"))
    planes = mo.ui.anywidget(ComponentPlanes(model, selection=selection))
    return get_nodes, map_view, planes, selection


@app.cell
def _(map_view):
    map_view
    return


@app.cell
def _(planes):
    planes
    return


@app.cell
def _(get_nodes, mo, selection):
    nodes = get_nodes()
    rows = selection.rows
    mo.vstack(
        [
            mo.md(f"**selected nodes:** {nodes} ({len(rows)} rows)"),
            rows["species"].value_counts() if len(rows) else mo.md("Brush on the map to select nodes."),
        ]
    )
    return


if __name__ == "__main__":
    app.run()
