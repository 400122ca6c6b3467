select order_id, customer_id, total_cents from {{ source('raw', 'orders_v2') }}
