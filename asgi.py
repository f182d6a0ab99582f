"""The portal's one server: Streamlit's pages (``streamlit_app.py``) and, on the same port, the
read-only open-data API and chart embeds (``portal.api``). Started by ``portal serve`` /
``python -m portal.serve``; ``uvicorn asgi:app`` works too."""

import streamlit as st
from starlette.middleware import Middleware

from portal import api

app = st.App("streamlit_app.py", routes=api.routes(), middleware=[Middleware(api.FrameHeaders)])
