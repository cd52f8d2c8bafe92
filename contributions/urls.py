from django.urls import path

from . import views

app_name = "contributions"
urlpatterns = [
    path("enrollments/<int:enrollment_id>/bill/", views.bill_issue, name="bill_issue"),
    path("bills/<int:bill_id>/pay/", views.payment_record, name="payment_record"),
]
