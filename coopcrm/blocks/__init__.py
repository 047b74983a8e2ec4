"""The block editor's documents: what a referent writes, checked, and compiled for an email.

A document is `{"version": 1, "blocks": [...]}`, stored as JSON: headings,
paragraphs of rich text, uploaded images, buttons, two columns, dividers and
contact details (`document`). Rich text is sanitised with nh3 when it is saved
and again when it is compiled (`richtext`). Placeholders are picked from a
menu and stored as structured tokens, never typed (`placeholders`). A
document compiles once into the MJML sections and the text part an email
template's body slot takes, placeholders becoming the Jinja variables of the
email context (`compiling`). Images are uploaded, checked, stripped and
resized, and served by the app (`images`, `routes`).

The package imports core modules only: campaigns and newsletter editions both
use it, sending knows nothing of it.
"""
