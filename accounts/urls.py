from __future__ import annotations

from django.contrib.auth.views import LogoutView
from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("signup/sent/", views.signup_sent, name="signup_sent"),
    path(
        "signup/confirm/<str:uidb64>/<str:token>/",
        views.signup_confirm,
        name="signup_confirm",
    ),
    path("login/", views.EmailLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("settings/", views.settings_view, name="settings"),
    path("settings/api-token/", views.rotate_api_token, name="rotate_api_token"),
]
