import WhittleLua
