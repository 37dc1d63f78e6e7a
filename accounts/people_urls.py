"""The People page (CISO), the invitation link, and single sign-on's two URLs."""

from django.urls import path

from accounts import sso, views

urlpatterns = [
    path("people/", views.people, name="people"),
    path("people/invite/", views.people_invite, name="people-invite"),
    path("people/<int:pk>/access/", views.person_change, name="person-change"),
    path("people/<int:pk>/deactivate/", views.person_deactivate, name="person-deactivate"),
    path("people/invitations/<int:pk>/revoke/", views.invitation_revoke_view, name="invitation-revoke"),
    path("invitation/accept/", views.invitation_accept, name="invitation-accept"),
    path("invitation/", views.invitation_open, name="invitation-open"),
    path("sso/start/", sso.SignInStart.as_view(), name="sso-start"),
    path("sso/callback/", sso.SignInCallback.as_view(), name="sso-callback"),
]
